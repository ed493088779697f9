"""Compare retrieval settings (chunk size, fusion weights, RRF k) on the eval sets' evidence.

    python scripts/tune_retrieval.py [--sizes 400,700,1000] [SET.jsonl ...]

Each chunk size gets its own temp index; results print as a table (hit@1/3/5, MRR@10, mean chars).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bot.answerers.extractive import SentenceBank
from bot.embedding import shared_embedder
from bot.retrieval import Retriever
from bot.settings import Settings
from bot.store import IndexSnapshot
from evals.metrics import retrieval_scores
from evals.schema import load_sets
from ingest.pipeline import ingest

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--sizes", default="400,550,700,1000")
    parser.add_argument("--overlap", type=float, default=0.17, help="overlap as a share of chunk size")
    parser.add_argument("--weights", default="1:1,1:0.3:1,1:0.2:0.5,0.5:0.3:1", help="dense:bm25[:sentence] weights")
    parser.add_argument("--rrf-k", default="60")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--fusion", default="score", help="score (default in the product) or rrf")
    args = parser.parse_args()
    paths = args.sets or [REPO / "evals/sets/retrieval.jsonl", REPO / "evals/sets/followups.jsonl"]
    cases, _ = load_sets(paths)
    cases = [c for c in cases if c.evidence]
    embedder = shared_embedder()
    from bot.assistant import Assistant

    print(f"{len(cases)} cases with evidence")
    print("size  overlap  weights  rrf_k  hit@1  hit@3  hit@5  mrr@10  chars")
    for size in [int(s) for s in args.sizes.split(",")]:
        overlap = int(size * args.overlap)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), chunk_size=size, chunk_overlap=overlap)
            ingest(settings, embedder_factory=lambda: embedder, progress=False)
            snapshot = IndexSnapshot.open(settings)
            helper = Assistant.__new__(Assistant)  # only for retrieval_query()
            vectors = SentenceBank(snapshot.chunks, embedder).chunk_vectors()
            for rrf_k in [int(k) for k in args.rrf_k.split(",")]:
                for w in args.weights.split(","):
                    dw, bw = (float(x) for x in w.split(":")[:2])
                    sw = float(w.split(":")[2]) if w.count(":") == 2 else 0.0
                    retriever = Retriever(snapshot, embedder, rrf_k=rrf_k, dense_weight=dw, bm25_weight=bw,
                                          sentence_weight=sw, sentence_vectors=vectors, fusion=args.fusion)
                    ranked, _texts, evidence = {}, {}, {}
                    for case in cases:
                        query = Assistant.retrieval_query(helper, case.question, list(case.history))
                        passages = retriever.search(query, k=10)
                        ranked[case.uid] = [p.text for p in passages]
                        evidence[case.uid] = case.evidence
                    scores = retrieval_scores(ranked, evidence).overall
                    print(f"{size:5d}  {overlap:7d}  {w:>7}  {rrf_k:5d}  {scores['hit@1']:.3f}  {scores['hit@3']:.3f}"
                          f"  {scores['hit@5']:.3f}  {scores['mrr@10']:.3f}  {scores['mean_passage_chars']:.0f}")
                    if args.misses:
                        per = retrieval_scores(ranked, evidence).per_case
                        for case in cases:
                            if not per[case.uid].get("hit@3"):
                                print("   MISS", case.uid, case.question[:90])


if __name__ == "__main__":
    main()
