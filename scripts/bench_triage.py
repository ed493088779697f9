"""Benchmark (and calibrate) the triage stage with the real bundled embedding model.

    python scripts/bench_triage.py               # p50 / p95 / max of Triage.assess per turn
    python scripts/bench_triage.py --calibrate   # backstop scores on hand-written sentences

Query vectors are computed before timing, as in the product (one embedding per turn, shared
with retrieval), so the numbers are the triage stage alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.embedding import Embedder  # noqa: E402
from bot.triage import Triage  # noqa: E402
from bot.triage.rules import load_yaml  # noqa: E402

PHRASES = [
    "my lower back hurts after running", "I can't feel anything down there", "what is sciatica?",
    "no numbness, just an ache", "my husband fell off a ladder", "how much ibuprofen can I take?",
    "numb bum after sitting on a hard bench, fine once I move", "pain shoots down my leg to my foot",
    "I had breast cancer in 2015 and now my back aches at night", "my legs feel dead after intervals",
    "ok so long story, I've been training for a marathon for sixteen weeks and my lower back has "
    "been grumbly, mostly after long runs, and I've been stretching and foam rolling every day. "
    "Yesterday it felt worse than usual and I wondered whether I should take a week off or swap "
    "to cycling, and what strength work would help me get back to full training quickly?",
]


def messages(n: int) -> list[list[str]]:
    """A few hundred conversations of one to three turns built from PHRASES and calibration data."""
    cal = load_yaml("calibration.yaml")
    pool = PHRASES + list(cal["red_flag"]) + list(cal["benign"])
    convs = []
    for i in range(n):
        turns = 1 + i % 3
        convs.append([pool[(i * 7 + k * 13) % len(pool)] for k in range(turns)])
    return convs


def bench(n: int) -> None:
    t0 = time.perf_counter()
    embedder = Embedder()
    t1 = time.perf_counter()
    triage = Triage(embedder)
    t2 = time.perf_counter()
    print(f"model load {t1 - t0:.2f} s; Triage() start-up {1000 * (t2 - t1):.0f} ms; "
          f"{os.cpu_count()} CPUs, torch threads {embedder_threads()}")
    convs = messages(n)
    for conv in convs:  # warm the LRU cache: older turns were embedded on earlier turns
        for m in conv:
            embedder.encode_query(m)
    vectors = [embedder.encode_query(c[-1]) for c in convs]
    for conv, vec in zip(convs[:20], vectors[:20], strict=True):
        triage.assess(conv, vec)
    for label, cold in (("every turn rescanned (worst case)", True),
                        ("older turns cached, newest rescanned", False)):
        times = []
        for conv, vec in zip(convs, vectors, strict=True):
            triage._scan.cache_clear()
            if not cold:  # in the product, earlier turns were scanned on earlier turns
                for message in conv[:-1]:
                    triage._scan(message)
            start = time.perf_counter()
            triage.assess(conv, vec)
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"assess, {label}, {len(times)} conversations: "
              f"p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms")


def embedder_threads() -> int:
    import torch

    return torch.get_num_threads()


def calibrate() -> None:
    embedder = Embedder()
    triage = Triage(embedder)
    backstop = triage.backstop
    assert backstop is not None
    rules_only = Triage()
    cal = load_yaml("calibration.yaml")
    print(f"threshold {backstop.threshold}, margin {backstop.margin}")
    for label in ("red_flag", "benign"):
        print(f"--- {label}")
        for text in cal[label]:
            vec = embedder.encode_query(text)
            _, red, benign = backstop.scores(vec)
            rules = rules_only.assess([text]).level
            hit = backstop.check(vec)
            print(f"red {red:.3f} benign {benign:.3f} diff {red - benign:+.3f} "
                  f"backstop {hit.category[:12] if hit else '-':12s} rules {rules:9s} {text[:60]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true", help="print backstop calibration scores")
    parser.add_argument("-n", type=int, default=300, help="number of conversations to time")
    args = parser.parse_args()
    calibrate() if args.calibrate else bench(args.n)
    _ = yaml  # keep the import: PyYAML must be importable for the data files


if __name__ == "__main__":
    main()
