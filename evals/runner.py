"""Put every case to the assistant (and the baselines), then turn the outputs into metrics."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.types import Reply
from evals import metrics as m
from evals.baselines import Hit, Retriever
from evals.schema import Case

DEPTH = m.DEPTH


@dataclass
class CaseRun:
    """Everything one case produced."""

    case: Case
    reply: Reply | None = None
    error: str | None = None
    query: str = ""
    retrieved: dict[str, list[Hit]] = field(default_factory=dict)  # retriever name -> ranked hits
    retrieval_source: str = ""  # "reply" or "search" (the reply carried no ranking: none, or a triage card)

    @property
    def route(self) -> str:
        return self.reply.route if self.reply else "error"


def _progress(items: Sequence[Case], enabled: bool | None) -> Any:
    from tqdm import tqdm

    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(items, desc="evals", unit="case", disable=not show, leave=False)


def run_cases(
    cases: Sequence[Case],
    assistant: Any,
    baselines: Sequence[Retriever] = (),
    *,
    progress: bool | None = None,
) -> list[CaseRun]:
    """Ask each case; for cases with evidence also rank passages with each baseline.

    An exception from the assistant is recorded on the case (route "error") and the run goes on.
    """
    runs: list[CaseRun] = []
    for case in _progress(cases, progress):
        run = CaseRun(case)
        history = list(case.history) or None
        try:
            run.reply = assistant.ask(case.question, history=history)
        except Exception as exc:  # one broken case must not hide the other results
            run.error = f"{type(exc).__name__}: {exc}"
            if os.environ.get("BACKTRACK_DEBUG"):
                traceback.print_exc()
        if case.evidence:
            try:
                run.query = assistant.retrieval_query(case.question, list(case.history))
                # A triage card carries fixed "see a doctor" passages, not a ranking for the question.
                if run.reply is not None and run.reply.passages and run.reply.route != "triage":
                    passages = run.reply.passages
                    run.retrieval_source = "reply"
                else:
                    passages = assistant.retriever.search(run.query, k=DEPTH, mode="hybrid")
                    run.retrieval_source = "search"
                run.retrieved["product"] = [Hit(p.chunk.title, p.chunk.text, p.score) for p in passages]
                for baseline in baselines:
                    run.retrieved[baseline.name] = baseline.search(run.query, k=DEPTH)
            except Exception as exc:
                run.error = (run.error + "; " if run.error else "") + f"retrieval: {type(exc).__name__}: {exc}"
        elif run.reply is not None:
            run.retrieved["product"] = [Hit(p.chunk.title, p.chunk.text, p.score) for p in run.reply.passages]
        runs.append(run)
    return runs


def compute_metrics(
    runs: Sequence[CaseRun],
    corpus: m.CorpusText | None = None,
    *,
    baseline_names: Sequence[str] = (),
) -> dict[str, Any]:
    """Every metric for one run, as the JSON-ready dict written to metrics.json."""
    evidence = {r.case.uid: list(r.case.evidence) for r in runs if r.case.evidence}
    questions = {r.case.uid: r.case.question for r in runs}

    def ranked(name: str) -> dict[str, list[str]]:
        return {r.case.uid: [h.text for h in r.retrieved[name]] for r in runs if name in r.retrieved}

    product = m.retrieval_scores(ranked("product"), evidence)
    baselines = {name: m.retrieval_scores(ranked(name), evidence) for name in baseline_names}
    expected_triage = {r.case.uid: r.case.triage for r in runs if r.case.triage}
    predicted = {r.case.uid: r.reply.triage.level for r in runs if r.reply is not None}
    triage = m.triage_scores(expected_triage, predicted, questions)
    replies = {r.case.uid: r.reply for r in runs if r.reply is not None}
    answers = m.answer_scores(replies, corpus)
    routes = {r.case.uid: r.route for r in runs}
    scope = m.scope_scores({r.case.uid: r.case.scope for r in runs if r.case.scope}, routes, expected_triage, questions)
    route_stats = m.route_scores(routes)
    latency = m.latency_scores({uid: rep.timings for uid, rep in replies.items()})
    per_case: dict[str, dict[str, Any]] = {r.case.uid: {} for r in runs}
    for section, scores in (
        ("retrieval", product),
        ("triage", triage),
        ("answer", answers),
        ("scope", scope),
    ):
        for uid, values in scores.per_case.items():
            per_case[uid][section] = values
    for name, scores in baselines.items():
        for uid, values in scores.per_case.items():
            per_case[uid].setdefault("baselines", {})[name] = values
    return {
        "cases": len(runs),
        "errors": [{"id": r.case.uid, "error": r.error} for r in runs if r.error],
        "retrieval": product.overall,
        "baselines": {name: s.overall for name, s in baselines.items()},
        "triage": triage.overall,
        "answers": answers.overall,
        "scope": scope.overall,
        "routes": route_stats.overall,
        "latency_ms": latency.overall,
        "per_case": per_case,
    }


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """(result, seconds)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
