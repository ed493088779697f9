"""Per-turn latency and cold start, against the LangChain tutorial retriever measured in the same run.

    python scripts/bench_turn.py              # 200 warm turns + peer + cold start
    python scripts/bench_turn.py --n 400
    python scripts/bench_turn.py --profile    # also cProfile the cold-start child (top 25 by cumulative time)

WARM: one `Assistant` over a fresh index of the bundled corpus in a temp data dir; each turn is
triage + retrieval + extractive answer with the query embedded once. Questions come from
evals/sets/retrieval.jsonl and evals/sets/triage_benign.jsonl; the embedder's LRU cache and the
triage scan cache are cleared before every turn, so every turn embeds its query for real.
PEER: the tutorial pipeline (`build_tutorial_store` over the raw seeds, 1000/200 chunks,
`similarity_search(k=4)`) with the same embedder and the same cache clearing, interleaved turn by turn.
COLD START: a new process from `import` to the first answer with the index already built, step by step.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_common import REPO, emit, machine_line, percentile, run_child, table  # noqa: E402

SETS = ("evals/sets/retrieval.jsonl", "evals/sets/triage_benign.jsonl")
STAGES = ("embed", "triage", "retrieve", "answer", "total")


def questions(n: int) -> list[str]:
    base: list[str] = []
    for name in SETS:
        for line in (REPO / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                base.append(json.loads(line)["question"])
    out = []
    for i in range(n):
        q = base[i % len(base)]
        rounds = i // len(base)
        out.append(q if rounds == 0 else f"{q} (asking again, {rounds})")  # distinct text on later rounds
    return out


def _clear_caches(assistant) -> None:
    assistant.embedder._cache.clear()
    scan = getattr(assistant.triage, "_scan", None)
    if scan is not None and hasattr(scan, "cache_clear"):
        scan.cache_clear()


# -- cold start child ---------------------------------------------------------------------------------
def cold_child(data_dir: Path, profile: bool) -> None:
    steps: list[tuple[str, float]] = []
    t = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        steps.append((name, now - t))
        t = now

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    start = t
    import torch  # noqa: F401

    mark("import torch")
    import sentence_transformers  # noqa: F401

    mark("import sentence_transformers (+transformers)")
    import chromadb  # noqa: F401

    mark("import chromadb")
    import bot.assistant as A
    from bot.settings import Settings

    mark("import bot.assistant (bm25s, langchain splitters, yaml, ...)")

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                inner.append((name, time.perf_counter() - began))
        return wrapper

    inner: list[tuple[str, float]] = []
    A.shared_embedder = timed("  model load (Embedder)", A.shared_embedder)
    A.IndexSnapshot.open = timed("  index snapshot open (Chroma client + all chunks)", A.IndexSnapshot.open)
    A.SentenceBank = timed("  sentence bank (units + cached vectors)", A.SentenceBank)
    A.Retriever = timed("  retriever (BM25 build)", A.Retriever)
    A.Triage = timed("  triage (rules + exemplar embedding)", A.Triage)
    A.ScopeJudge = timed("  scope judge", A.ScopeJudge)
    settings = Settings(data_dir=data_dir)
    began = time.perf_counter()
    assistant = A.Assistant(settings)
    build = time.perf_counter() - began
    t = time.perf_counter()
    steps.append(("Assistant() total", build))
    steps += inner
    steps.append(("  other (answerers, doctor passages search)", build - sum(s for _, s in inner)))
    reply = assistant.ask("how do I fix runner's lower back pain?")
    mark("first ask()")
    total = time.perf_counter() - start
    import gradio  # noqa: F401

    mark("import gradio (web app only, not in the total)")
    result = {"steps": steps, "total_s": total, "route": reply.route, "first_timings": reply.timings}
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(25)
        result["profile"] = buf.getvalue()
    emit(result)


# -- parent -------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="timed turns (default 200)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--cold-runs", type=int, default=2, help="cold-start processes (default 2)")
    parser.add_argument("--profile", action="store_true", help="cProfile the cold-start child")
    parser.add_argument("--cold-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        cold_child(args.cold_child, args.profile)
        return 0

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from bot.assistant import Assistant
    from bot.embedding import Embedder, shared_embedder
    from bot.settings import Settings
    from evals.baselines import build_tutorial_store, default_seeds_dir
    from ingest.pipeline import ingest

    print(f"turn benchmark: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="backtrack-turn-bench-") as tmp:
        tmpdir = Path(tmp)
        settings = Settings(data_dir=tmpdir / "data")
        embedder = shared_embedder()
        started = time.perf_counter()
        summary = ingest(settings, rebuild=True, embedder_factory=lambda: embedder, progress=False)
        print(f"index built in {time.perf_counter() - started:.1f} s ({summary.chunks['added']} chunks)")
        started = time.perf_counter()
        assistant = Assistant(settings, embedder=embedder)
        print(f"Assistant loaded in {time.perf_counter() - started:.1f} s (first time: sentence bank embedded)")
        started = time.perf_counter()
        # The tutorial embeds with sentence-transformers (torch); ours may run the same model on ONNX.
        peer_embedder = Embedder(backend="torch")
        store = build_tutorial_store(default_seeds_dir(), peer_embedder, tmpdir / "tutorial")
        print(f"peer (tutorial) store built in {time.perf_counter() - started:.1f} s "
              f"({store._collection.count()} chunks from {default_seeds_dir()})")

        qs = questions(args.n)
        for q in qs[: args.warmup]:
            _clear_caches(assistant)
            assistant.ask(q)
            _clear_caches(assistant)
            store.similarity_search(q, k=4)
        ours_wall: list[float] = []
        peer_wall: list[float] = []
        stages: dict[str, list[float]] = {s: [] for s in STAGES}
        routes: dict[str, int] = {}
        for q in qs:  # interleaved, so both sides see the same machine load
            _clear_caches(assistant)
            began = time.perf_counter()
            reply = assistant.ask(q)
            ours_wall.append((time.perf_counter() - began) * 1000)
            routes[reply.route] = routes.get(reply.route, 0) + 1
            for s in STAGES:
                if s in reply.timings:
                    stages[s].append(reply.timings[s])
            peer_embedder._cache.clear()
            began = time.perf_counter()
            store.similarity_search(q, k=4)
            peer_wall.append((time.perf_counter() - began) * 1000)

        print(f"\nWARM, {len(qs)} turns ({', '.join(f'{k} {v}' for k, v in sorted(routes.items()))}); ms")
        rows = [["ours: ask() end to end", len(ours_wall), percentile(ours_wall, 50), percentile(ours_wall, 95),
                 max(ours_wall)]]
        for s in STAGES:
            v = stages[s]
            if v:
                rows.append([f"  stage {s} (Reply.timings)", len(v), percentile(v, 50), percentile(v, 95), max(v)])
        rows.append(["peer: similarity_search(k=4)", len(peer_wall), percentile(peer_wall, 50),
                     percentile(peer_wall, 95), max(peer_wall)])
        print(table(["what", "turns", "p50", "p95", "max"], rows))
        p50, p95 = percentile(ours_wall, 50), percentile(ours_wall, 95)
        print(f"ratio ours/peer latency: p50 {p50 / percentile(peer_wall, 50):.2f}x, "
              f"p95 {p95 / percentile(peer_wall, 95):.2f}x (ours does triage + hybrid retrieval + answer; "
              f"the peer only retrieves)")
        print(f"targets: p50 < 25 ms ({'met' if p50 < 25 else 'NOT met'}), "
              f"p95 < 50 ms ({'met' if p95 < 50 else 'NOT met'})")

        print("\nCOLD START (new process, index already built; seconds)")
        colds = []
        for i in range(args.cold_runs):
            began = time.perf_counter()
            result = run_child([str(Path(__file__).resolve()), "--cold-child", str(settings.data_dir),
                                *(["--profile"] if args.profile and i == args.cold_runs - 1 else [])])
            result["wall"] = time.perf_counter() - began
            colds.append(result)
        names = [name for name, _ in colds[0]["steps"]]
        rows = [[name, *[dict(c["steps"])[name] for c in colds]] for name in names]
        rows.append(["in-process total, import to first answer", *[c["total_s"] for c in colds]])
        rows.append(["process wall incl. interpreter start + gradio import", *[c["wall"] for c in colds]])
        print(table(["step", *[f"run {i + 1}" for i in range(len(colds))]], rows))
        best = min(c["total_s"] for c in colds)
        print(f"cold start (best of {len(colds)}): {best:.1f} s, target < 10 s "
              f"({'met' if best < 10 else 'NOT met'}); first answer route {colds[0]['route']}")
        if args.profile:
            print("\ncProfile of the last cold-start child (cumulative):\n" + colds[-1].get("profile", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
