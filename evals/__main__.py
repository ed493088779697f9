"""`python -m evals run [SET.jsonl ...]`: run evaluation sets and write a report.

Exit status: 0 done (and, with --check, every threshold passed or n/a); 1 a threshold failed;
2 nothing could be run (no readable cases, no index, bad settings). Set BACKTRACK_DEBUG=1 to get
tracebacks instead of one-line errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import BacktrackError
from bot.settings import Settings

EVALS_DIR = Path(__file__).resolve().parent
SETS_DIR = EVALS_DIR / "sets"
OUT_DIR = EVALS_DIR / "out"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run evaluation sets and write a report")
    run.add_argument("sets", nargs="*", type=Path, help="JSONL files (default: every evals/sets/*.jsonl)")
    run.add_argument("--out", type=Path, default=None, help="output directory (default evals/out/<timestamp>/)")
    run.add_argument("--answerer", default=None, help="answerer backend (default from settings)")
    run.add_argument("--check", action="store_true", help="exit 1 when a threshold in --thresholds fails")
    run.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        help="thresholds TOML (default evals/thresholds.toml)",
    )
    run.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip the bm25 / dense / no-questions / LangChain-tutorial baselines",
    )
    run.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N cases of each set")
    run.add_argument(
        "--seeds-dir",
        type=Path,
        default=None,
        help="raw seed files for the tutorial baseline [env BACKTRACK_SEEDS_DIR]",
    )
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: only on a terminal)",
    )
    Settings.add_arguments(run, only=("corpus_dir", "index_dir", "data_dir", "model", "top_k"))
    return parser


def _load_corpus(settings: Settings, warn: Any) -> Any:
    from evals.metrics import CorpusText

    try:
        from ingest.corpus import load_corpus

        loaded = load_corpus(settings.corpus_dir)
    except (ImportError, OSError, BacktrackError) as exc:
        warn(f"quotes not checked against the corpus: {exc}")
        return None
    articles = getattr(loaded, "articles", loaded)  # CorpusLoad or a plain list of articles
    return CorpusText(a.body for a in articles)


def _default_assistant(settings: Settings, answerer: str | None) -> Any:
    try:
        from bot.assistant import Assistant
    except ImportError as exc:
        raise BacktrackError(f"cannot import the assistant ({exc}); is the package installed?") from exc
    from ingest.pipeline import ingest

    # Evaluate the corpus as it is now: incremental, so a no-change run costs about a second.
    summary = ingest(settings, progress=False)
    if summary.changed:
        print(summary.line(), file=sys.stderr)
    return Assistant(settings, answerer=answerer)


def cmd_run(args: argparse.Namespace, assistant_factory: Any = None) -> int:
    from evals import runner
    from evals.report import write_report
    from evals.schema import load_sets
    from evals.thresholds import DEFAULT_THRESHOLDS, check, load_thresholds

    def warn(message: str) -> None:
        print(f"evals: {message}", file=sys.stderr)

    paths = list(args.sets) or sorted(SETS_DIR.glob("*.jsonl"))
    if not paths:
        warn(f"no sets given and no *.jsonl in {SETS_DIR}")
        return 2
    missing = [p for p in paths if not p.is_file()]
    if missing:
        warn("no such file: " + ", ".join(map(str, missing)))
        return 2
    thresholds = load_thresholds(args.thresholds or DEFAULT_THRESHOLDS)
    cases, problems = load_sets(paths)
    for problem in problems:
        warn(f"skipped {problem}")
    if args.limit is not None:
        per_set: dict[str, int] = {}
        kept = []
        for case in cases:
            per_set[case.set] = per_set.get(case.set, 0) + 1
            if per_set[case.set] <= args.limit:
                kept.append(case)
        cases = kept
    if not cases:
        warn("no usable cases")
        return 2

    settings = Settings.from_args(args)
    assistant = (assistant_factory or _default_assistant)(settings, args.answerer)
    out_dir = args.out or OUT_DIR / datetime.now().strftime("%Y%m%d-%H%M%S")
    started = datetime.now().isoformat(timespec="seconds")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backtrack-tutorial-") as tmp:
        baselines = []
        if not args.no_baselines and any(c.evidence for c in cases):
            from evals.baselines import make_baselines

            baselines = make_baselines(assistant, seeds_dir=args.seeds_dir, persist_dir=Path(tmp), warn=warn)
        runs = runner.run_cases(cases, assistant, baselines, progress=args.progress)
    corpus = _load_corpus(settings, warn)
    metrics = runner.compute_metrics(runs, corpus, baseline_names=[b.name for b in baselines])
    outcomes = check(metrics, thresholds)
    meta = {
        "sets": [str(p) for p in paths],
        "answerer": args.answerer or settings.answerer,
        "started": started,
        "seconds": time.perf_counter() - t0,
    }
    write_report(out_dir, runs, metrics, outcomes, [str(p) for p in problems], meta)

    failed = [o for o in outcomes if o.blocking]
    print(f"{len(runs)} case(s); report: {out_dir / 'report.md'}")
    for o in outcomes:
        print(f"  {o}")
    if args.check and failed:
        print(f"{len(failed)} gate(s) failed:", file=sys.stderr)
        for o in failed:
            print(f"  FAIL {o}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None, *, assistant_factory: Any = None) -> int:
    """CLI entry point; tests inject a fake via `assistant_factory(settings, answerer)`."""
    args = build_parser().parse_args(argv)
    try:
        return cmd_run(args, assistant_factory)
    except BacktrackError as exc:
        if os.environ.get("BACKTRACK_DEBUG"):
            raise
        print(f"evals: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
