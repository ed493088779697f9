"""Scale benchmark: a synthetic index of --chunks chunks, embedded Chroma and/or a `chroma run` server.

What is real and what is synthetic:
- Chunk texts are corpus sentences: each synthetic chunk is one real corpus chunk's sentences, shuffled,
  plus one or two sentences from another chunk, cut to the chunk size.
- Chunk vectors are NOT embedded one by one (50k embeddings on 2 shared cores would take most of an
  hour): each is the real embedding of its base corpus chunk plus Gaussian noise (cosine ~0.9 to it),
  renormalised. Real embedding throughput is measured on a sample and extrapolated.
- Query embeddings, triage, retrieval, the sentence bank (lazy above assistant.LAZY_BANK_CHUNKS) and the
  extractive answer are the real product code with the real bundled model.
- The index is written straight into a Chroma generation (store.write_manifest), bypassing the ingest
  pipeline's chunking and near-duplicate merge; "write" throughput is Chroma's add() rate.

Usage: python scripts/bench_scale.py [--chunks 50000] [--mode embedded|server|both] [--passes 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.assistant import LAZY_BANK_CHUNKS, Assistant  # noqa: E402
from bot.embedding import shared_embedder  # noqa: E402
from bot.grounding import split_sentences  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store import chunk_metadata, connect, generation_name, write_manifest  # noqa: E402
from bot.types import Chunk  # noqa: E402
from ingest.chunking import chunk_article, embedding_text  # noqa: E402
from ingest.corpus import load_corpus  # noqa: E402
from tests.loopback import ChromaServer, free_port  # noqa: E402

QUESTIONS = [
    "why does my lower back hurt after running", "is running bad for spinal discs",
    "what exercises strengthen the core for runners", "should I stretch my hamstrings for back pain",
    "can running shoes cause lower back pain", "how long should I rest from running with back pain",
    "does hill running make back pain worse", "is it ok to run with a herniated disc",
    "what causes stiffness in the lower back after a long run", "how can I improve my running posture",
    "does foam rolling help lower back pain", "what about for beginners?",
    "my back hurts when I run downhill", "are planks good for runners", "should I see a physio",
    "I have numbness in my groin and can't control my bladder",
    "back pain with fever and night sweats since my long run",
    "how much ibuprofen can I take for back pain", "what is a good warm up before running",
    "why does my back ache the day after a marathon",
]


def synthetic(n: int, chunk_size: int, seed: int = 7) -> tuple[list[Chunk], np.ndarray, dict[str, float]]:
    """n chunks composed from corpus sentences, with perturbed real embeddings of their base chunks."""
    embedder = shared_embedder()
    real = [c for a in load_corpus(REPO / "corpus").articles for c in chunk_article(a, chunk_size, 240)]
    started = time.perf_counter()
    base = embedder.encode([embedding_text(c) for c in real])
    timing = {"real_chunks": len(real), "embed_per_s": len(real) / (time.perf_counter() - started)}
    sentences = [split_sentences(c.text) for c in real]
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    chunks: list[Chunk] = []
    for i in range(n):
        j = i % len(real)
        parts = list(sentences[j])
        rng.shuffle(parts)
        parts += rng.sample(sentences[rng.randrange(len(real))], k=1)
        text = " ".join(parts)[:chunk_size]
        src = real[j]
        article = f"syn-{i // 25:05d}"
        chunks.append(Chunk(id=f"{article}-{i:06d}", article_id=article, title=f"{src.title} ({i // 25})",
                            section=src.section, text=text, start=0, end=len(text)))
    vectors = base[np.arange(n) % len(real)] + noise.normal(0, 0.025, (n, base.shape[1])).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors.astype(np.float32), timing


def write_index(settings: Settings, chunks: list[Chunk], vectors: np.ndarray) -> float:
    """One complete generation plus the pointer; returns chunks written per second."""
    client = connect(settings)
    started = time.perf_counter()
    name = generation_name(settings, 1)
    collection = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}},
                                          embedding_function=None, metadata={"generation": 1})
    batch = max(1, min(2000, client.get_max_batch_size()))
    for lo in range(0, len(chunks), batch):
        part = chunks[lo:lo + batch]
        collection.add(ids=[c.id for c in part], embeddings=vectors[lo:lo + batch],
                       documents=[c.text for c in part], metadatas=[chunk_metadata(c, "synthetic") for c in part])
    write_manifest(client, settings, {"generation": 1, "collection": name, "config": {"synthetic": True},
                                      "articles": {}, "chunks": len(chunks), "created": "bench"})
    return len(chunks) / (time.perf_counter() - started)


def du(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def measure(settings: Settings, passes: int) -> dict[str, float]:
    embedder = shared_embedder()
    started = time.perf_counter()
    assistant = Assistant(settings, embedder=embedder, refresh_seconds=None)
    load = time.perf_counter() - started
    cold = []
    for q in QUESTIONS:  # first sight of each candidate pool: the lazy bank embeds its sentences
        embedder._cache.clear()
        t = time.perf_counter()
        assistant.ask(q)
        cold.append((time.perf_counter() - t) * 1000)
    warm = []
    for _ in range(passes):
        for q in QUESTIONS:
            embedder._cache.clear()  # the query is embedded every time, as for a new user
            t = time.perf_counter()
            assistant.ask(q)
            warm.append((time.perf_counter() - t) * 1000)
    return {"load_s": load, "cold_p50": percentile(cold, 50), "cold_p95": percentile(cold, 95),
            "warm_p50": percentile(warm, 50), "warm_p95": percentile(warm, 95), "turns": len(warm),
            "units_embedded": len(assistant.bank.units)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50000)
    parser.add_argument("--mode", choices=("embedded", "server", "both"), default="both")
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    chunks, vectors, timing = synthetic(args.chunks, Settings().chunk_size)
    print(f"synthetic index: {len(chunks)} chunks in {time.perf_counter() - t:.1f} s; real embedding of "
          f"{timing['real_chunks']} corpus chunks ran at {timing['embed_per_s']:.0f} chunks/s "
          f"(so {args.chunks} real embeddings would take ~{args.chunks / timing['embed_per_s'] / 60:.0f} min); "
          f"lazy sentence bank above {LAZY_BANK_CHUNKS} chunks", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        for mode in ("embedded", "server") if args.mode == "both" else (args.mode,):
            server = ChromaServer(root / "server-db", free_port()) if mode == "server" else None
            if server:
                server.start()
            try:
                settings = Settings(data_dir=root / mode, chroma_url=server.url if server else None)
                rate = write_index(settings, chunks, vectors)
                size = du(root / "server-db" if server else settings.index_path / "chroma")
                result = measure(settings, args.passes)
            finally:
                if server:
                    server.stop()
            rows.append((mode, rate, size, result))
            print(f"{mode}: done", flush=True)
    print("\n| mode | chunks | write chunks/s | index MB | assistant load s | cold turn p50 / p95 ms "
          "| warm turn p50 / p95 ms | warm turns |")
    print("|---|---|---|---|---|---|---|---|")
    for mode, rate, size, r in rows:
        print(f"| {mode} | {len(chunks)} | {rate:.0f} | {size:.0f} | {r['load_s']:.1f} | "
              f"{r['cold_p50']:.0f} / {r['cold_p95']:.0f} | {r['warm_p50']:.0f} / {r['warm_p95']:.0f} | {r['turns']} |")


if __name__ == "__main__":
    main()
