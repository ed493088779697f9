"""Rebuild corpus/ from the seed files: every seed line is placed in an article or listed as removed.

The curation decisions live in ARTICLES and REMOVED below; this script only copies seed text.
Run: python scripts/build_corpus.py [--seeds ../shared/seeds]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
S0, S1, S2, S3, S4 = (
    "000_43e25086bf4b92ae.txt",
    "001_c8cb8450e600b89e.txt",
    "002_73b1097acf8f04ad.txt",
    "003_7092bb86cca10a1e.txt",
    "004_ca0fb59786d34a75.txt",
)


def r(a: int, b: int) -> list[int]:
    return list(range(a, b + 1))


# Each article: metadata, then body entries: a seed line number (paragraph or list item) or
# ("h2"|"h3", line) for a heading. `title_line` is the seed line holding the visible title.
ARTICLES: list[dict] = [
    dict(id="runners-lower-back-pain", seed=S0, title_line=1, publisher="DISC of Louisiana",
         body=[3, 5, 7, ("h2", 12), 14, ("h2", 16), 18, 20, 22, ("h2", 24), 26, ("h2", 28), 30, 32,
               34, 36, 38, 40, 42]),
    dict(id="why-back-pain-happens-to-runners", seed=S1, title_line=1, author="Jamie King",
         body=[6, ("h2", 8), 10, 12, 14, ("h2", 16), 18, 20, ("h2", 22), 24, 26, ("h3", 28), 30,
               ("h3", 32), 34, ("h3", 36), 38, 40]),
    dict(id="lower-back-pain-when-running", seed=S1, title=(S4, 1), publisher="The Orthopedic Clinic",
         duplicate_seeds=[S4],
         body=[51, 53, ("h2", 55), 57, 59, *r(61, 65), 67, 69, ("h2", 71), ("h3", 73), 75,
               *r(77, 83), 85, ("h2", 87), 89]),
    dict(id="running-lumbar-pain-risk-research", seed=S1, title_line=98,
         body=[100, 102, 104, ("h2", 106), 108, 110, 112, 114, 116, ("h2", 118), 120, 122, 124, 126,
               128, ("h2", 130), 132, 134, 136, 138, ("h2", 140), 142, 144, 146, 148, 150, 152, 154,
               156, *r(158, 160), 162]),
    dict(id="running-and-lower-back-pain", seed=S1, title_line=164,
         body=[166, 168, ("h2", 172), 174, 176, ("h2", 180), 182, *r(185, 190), 192, ("h2", 196),
               198, 200, 201, 210]),
    dict(id="how-to-run-safely-with-back-pain", seed=S1, title_line=214,
         body=[*r(216, 219), 221, ("h2", 223), 225, *r(227, 230), 232, ("h2", 237), 239,
               *r(241, 245), 247, 249]),
    dict(id="return-to-running-after-low-back-pain", seed=S1, title_line=251,
         body=[253, 255, 257, 259, 263, 265, ("h2", 267), 269, *r(271, 277), 278, 280, *r(282, 286),
               288, 290]),
    dict(id="muscle-bone-disc-back-pain", seed=S1,
         title="Muscle-Related, Bone-Related and Discogenic Lower Back Pain",
         body=[300, 302, 304, 306, ("h2", 308), 310, 312, 314, ("h2", 316), 318, 320, ("h2", 322),
               324, 326, 328, 330, 332, 334, ("h2", 336), 338, 340, 342]),
    dict(id="how-to-fix-runners-lower-back-pain", seed=S1, title_line=344,
         body=[346, 348, 350, 352, ("h2", 354), 356, 358, 360, 362, 364, 366, 368, 370, 372, 374,
               376, 378, ("h2", 380), 382, 384, 386, 388]),
    dict(id="lower-back-pain-after-running", seed=S1, title_line=392,
         publisher="International Spine Institute",
         body=[394, ("h2", 395), 397, 399, 401, *r(403, 405)]),
    dict(id="jogging-and-chronic-low-back-pain", seed=S1,
         title="Jogging and Chronic Low Back Pain",
         body=[413, 415, 417, ("h2", 419), 421, 423, *r(425, 432), ("h2", 434), 436, *r(438, 442),
               ("h2", 444), 446, 448, *r(450, 452), 454, ("h2", 456), 458, 460, 464, 466]),
    dict(id="running-and-spinal-disc-study", seed=S1,
         title="Running and Spinal Discs: The Deakin University Study",
         body=[470, 472, 474, 476, 478]),
    dict(id="running-and-healthier-spinal-discs", seed=S1,
         title="Running and Healthier Spinal Discs: Dr. Thomas on Back Pain",
         body=[480, 482, 484, ("h2", 486), 488, 490, 492, 494, 496]),
    dict(id="runners-back-pain-symptoms-causes-prevention", seed=S2, title_line=1,
         author="Marc Lindsay", publisher="MapMyRun",
         body=[8, 10, 13, 15, 18, 20, 22, 25, 27, 29, 31]),
    dict(id="lower-back-pain-during-running-specialist", seed=S3, title_line=3,
         body=[5, ("h2", 7), 9, 11, 13, ("h2", 15), 17, 19, 21, 23, ("h2", 25), 27, *r(29, 32), 34,
               37]),
]

# Footnote markers glued to sentences ("pace.1"); dropping them removes characters, adds none.
FOOTNOTES = {(S1, 110): ("pace.1", "pace."), (S1, 120): ("1995.2", "1995."),
             (S1, 132): ("University.3", "University."), (S1, 239): ("fractures.1", "fractures.")}

# Seed lines that are not article content, with the reason. Titles used as metadata are not listed.
REMOVED: list[tuple[str, list[int], str]] = [
    (S0, [9], "image alt text"),
    (S0, [44, 46], "call to action: book an appointment"),
    (S0, [49], "site-wide legal disclaimer"),
    (S0, [52, 54], "comment section"),
    (S1, [3, 4], "byline (author name kept in metadata)"),
    (S1, [42, 44, 46], "author bio"),
    (S1, [48], "category tag"),
    (S1, [91, 93, 95], "call to action: appointment request and phone number"),
    (S1, [170, 178, 194, 212, 234], "link to another page"),
    (S1, r(203, 208), "navigation list (In This Article)"),
    (S1, [261], "photo credit"),
    (S1, [292, 294, 296], "promotion of a paid guide"),
    (S1, [298], "site-wide legal disclaimer"),
    (S1, [390], "promotion of a lesson download"),
    (S1, r(407, 411), "call to action: contact the clinic"),
    (S1, [462, 468], "call to action: book an assessment"),
    (S1, [498], "category tag"),
    (S1, [500, 502], "comment form"),
    (S2, [3, 4, 5, 6], "byline, share buttons and repeated title"),
    (S2, r(33, 38), "author bio"),
    (S2, r(41, 49), "notification prompt"),
    (S3, [1], "site tagline"),
    (S4, r(3, 27), "duplicate of the article kept from 001 (lines 51-89)"),
    (S4, r(29, 35), "call to action, phone number and comment section"),
]


def clean(line: str) -> str:
    text = line.strip()
    text = re.sub(r"^•\s*", "- ", text)
    return text


def build(seeds: Path, out: Path) -> None:
    lines = {name: (seeds / name).read_text(encoding="utf-8").split("\n") for name in (S0, S1, S2, S3, S4)}
    used: dict[str, set[int]] = {name: set() for name in lines}

    def take(seed: str, n: int) -> str:
        text = lines[seed][n - 1].strip()
        if not text:
            raise SystemExit(f"{seed}:{n} is blank")
        used[seed].add(n)
        if (seed, n) in FOOTNOTES:
            old, new = FOOTNOTES[(seed, n)]
            assert old in text, (seed, n)
            text = text.replace(old, new)
        return text

    for old in out.glob("*.md"):
        old.unlink()
    for art in ARTICLES:
        seed = art["seed"]
        meta: dict = {"id": art["id"]}
        if "title_line" in art:
            meta["title"] = take(seed, art["title_line"])
        elif isinstance(art.get("title"), tuple):
            tseed, tline = art["title"]
            meta["title"] = take(tseed, tline)
        else:
            meta["title"] = art["title"]
            meta["title_inferred"] = True
        for key in ("author", "publisher"):
            if art.get(key):
                meta[key] = art[key]
        meta["seed"] = seed
        if art.get("duplicate_seeds"):
            meta["duplicate_seeds"] = art["duplicate_seeds"]
        blocks: list[str] = []
        prev_list = False
        for entry in art["body"]:
            if isinstance(entry, tuple):
                level, n = entry
                blocks.append(("## " if level == "h2" else "### ") + re.sub(r"^•\s*", "", take(seed, n)))
                prev_list = False
                continue
            raw = lines[seed][entry - 1]
            text = take(seed, entry)
            is_item = raw.lstrip().startswith("•") or bool(re.match(r"^\d+\.\s", text)) and raw.startswith("    ")
            text = clean(raw) if raw.lstrip().startswith("•") else text
            if (seed, entry) in FOOTNOTES:
                old, new = FOOTNOTES[(seed, entry)]
                text = text.replace(old, new)
            if is_item and prev_list:
                blocks[-1] += "\n" + text
            else:
                blocks.append(text)
            prev_list = is_item
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
        (out / f"{art['id']}.md").write_text(f"---\n{front}---\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")

    removed_out = []
    for seed, numbers, reason in REMOVED:
        for n in numbers:
            text = lines[seed][n - 1].strip()
            if not text:
                continue
            if n in used[seed]:
                raise SystemExit(f"{seed}:{n} is both used and removed")
            used[seed].add(n)
            removed_out.append({"seed": seed, "line": n, "reason": reason, "text": text})
    missing = [(s, i + 1) for s, ls in lines.items() for i, t in enumerate(ls)
               if t.strip() and (i + 1) not in used[s]]
    if missing:
        raise SystemExit(f"seed lines neither used nor removed: {missing}")
    header = ("# Seed text deliberately left out of the corpus, with the reason (generated by\n"
              "# scripts/build_corpus.py). tests/test_corpus_provenance.py checks that every seed\n"
              "# paragraph is either in an article or listed here.\n")
    dumped = yaml.safe_dump(removed_out, sort_keys=False, allow_unicode=True, width=1000)
    (out / "removed.yaml").write_text(header + dumped, encoding="utf-8")
    print(f"wrote {len(ARTICLES)} articles and {len(removed_out)} removed lines to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--out", type=Path, default=REPO / "corpus")
    args = parser.parse_args()
    build(args.seeds, args.out)
