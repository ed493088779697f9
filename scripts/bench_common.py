"""Helpers shared by the benchmark scripts (ingest/bench.py, scripts/bench_turn.py).

Benchmarks print figures and ratios against a peer measured in the same run; they are not tests.
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM) in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine_line() -> str:
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover
        torch_version = "?"
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()[0]
    return (f"{date.today().isoformat()}, {platform.machine()}, {cores} cores, torch {torch_version}, "
            f"Python {platform.python_version()}, load average {load:.1f} at start")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into the README)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def run_child(args: list[str], *, env: dict[str, str] | None = None, timeout: float = 900) -> dict:
    """Run `python <args>` in a fresh process; it must print one JSON line starting with 'RESULT '."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    wall = time.perf_counter() - started
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            result["process_wall_s"] = wall
            return result
    raise RuntimeError(f"child {args} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def emit(result: dict) -> None:
    """The child's side of run_child."""
    print("RESULT " + json.dumps(result), flush=True)


def synthetic_corpus(source_dir: Path, out_dir: Path, n: int, *, seed: int = 1234,
                     paragraphs: tuple[int, int] = (1, 3)) -> int:
    """Write `n` valid articles built from shuffled paragraphs of the bundled corpus; returns total bytes.

    Each article: front matter (id, title, seed), one or two '## ' sections, `paragraphs` paragraphs
    drawn at random (deterministic `seed`) from every article body of `source_dir`.
    """
    from ingest.corpus import load_corpus

    articles = load_corpus(source_dir).articles
    pool: list[str] = []
    headings: list[str] = []
    for article in articles:
        for block in re.split(r"\n\s*\n", article.body):
            block = block.strip()
            if not block:
                continue
            if block.startswith("#"):
                headings.append(block.lstrip("#").strip().splitlines()[0])
            else:
                pool.append(block)
    titles = [a.title for a in articles]
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        count = rng.randint(*paragraphs)
        paras = rng.sample(pool, count)
        title = f"{rng.choice(titles)} (synthetic {i:05d})"
        body: list[str] = []
        split = rng.randint(1, count) if count > 1 else count
        body.append(f"## {rng.choice(headings)}")
        body += paras[:split]
        if split < count:
            body.append(f"## {rng.choice(headings)}")
            body += paras[split:]
        text = (f"---\nid: synthetic-{i:05d}\ntitle: {json.dumps(title)}\nseed: synthetic-{i:05d}.txt\n---\n\n"
                + "\n\n".join(body) + "\n")
        (out_dir / f"synthetic-{i:05d}.md").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total
