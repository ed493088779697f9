"""Evaluation metrics: pure functions from expectations and outputs to overall and per-case scores.

Every function returns `Scores(overall, per_case)`. `overall` holds rates *and* counts (a rate of
1.0 over 3 cases is not the same evidence as over 300); a rate is `None` when no case carried the
field it needs, which the threshold check reports as "n/a" rather than a failure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.grounding import (
    SUPPORT_THRESHOLD,
    cited_numbers,
    split_sentences,
    strip_citations,
    support,
)
from bot.grounding import normalize as normalize_text
from bot.types import Reply

LEVELS = ("emergency", "urgent", "none")
HIT_KS = (1, 3, 5)
DEPTH = 10


@dataclass
class Scores:
    """Overall numbers (rates and counts) plus one dict of scores per case uid."""

    overall: dict[str, Any] = field(default_factory=dict)
    per_case: dict[str, dict[str, Any]] = field(default_factory=dict)


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --------------------------------------------------------------------------- retrieval


def is_relevant(passage_text: str, evidence: Iterable[str]) -> bool:
    """A passage is relevant when it contains any evidence phrase (case, whitespace, quotes, dashes
    normalised)."""
    text = normalize_text(passage_text)
    return any(normalize_text(phrase) in text for phrase in evidence if phrase.strip())


def retrieval_scores(
    ranked: Mapping[str, Sequence[str]],
    evidence: Mapping[str, Sequence[str]],
    *,
    ks: Sequence[int] = HIT_KS,
    depth: int = DEPTH,
) -> Scores:
    """hit@k, MRR@depth, nDCG@depth (binary gains) and mean passage length over cases with evidence.

    `ranked[uid]` is the passage texts in rank order. nDCG's ideal ranking puts every relevant
    passage found in the top `depth` first (the corpus-wide count is unknowable across chunkers).
    `hit@k_curve` lists hit@1..depth for plotting. Mean passage chars averages every returned
    passage (up to `depth`) of every case, evidence or not.
    """
    per_case: dict[str, dict[str, Any]] = {}
    lengths: list[int] = []
    for texts in ranked.values():
        lengths.extend(len(t) for t in list(texts)[:depth])
    for uid, phrases in evidence.items():
        if not phrases:
            continue
        texts = list(ranked.get(uid, []))[:depth]
        rels = [is_relevant(t, phrases) for t in texts]
        first = next((i + 1 for i, r in enumerate(rels) if r), None)
        dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(rels) if r)
        idcg = sum(1 / math.log2(i + 2) for i in range(sum(rels)))
        per_case[uid] = {
            "first_relevant_rank": first,
            **{f"hit@{k}": int(first is not None and first <= k) for k in ks},
            f"mrr@{depth}": 1 / first if first else 0.0,
            f"ndcg@{depth}": dcg / idcg if idcg else 0.0,
            "relevant_in_top": sum(rels),
            "returned": len(texts),
        }
    n = len(per_case)
    overall: dict[str, Any] = {"cases": n}
    for k in ks:
        hits = sum(c[f"hit@{k}"] for c in per_case.values())
        overall[f"hit@{k}"] = _rate(hits, n)
        overall[f"hit@{k}_count"] = hits
    overall[f"mrr@{depth}"] = _mean([c[f"mrr@{depth}"] for c in per_case.values()])
    overall[f"ndcg@{depth}"] = _mean([c[f"ndcg@{depth}"] for c in per_case.values()])
    overall["hit@k_curve"] = [
        _rate(
            sum(1 for c in per_case.values() if c["first_relevant_rank"] and c["first_relevant_rank"] <= k),
            n,
        )
        for k in range(1, depth + 1)
    ]
    overall["mean_passage_chars"] = _mean(lengths)
    overall["misses"] = sorted(uid for uid, c in per_case.items() if c["first_relevant_rank"] is None)
    return Scores(overall, per_case)


# --------------------------------------------------------------------------- triage


def triage_scores(
    expected: Mapping[str, str],
    predicted: Mapping[str, str],
    questions: Mapping[str, str] | None = None,
) -> Scores:
    """Escalation recall, emergency recall, false-alarm rate and the confusion matrix.

    - escalation recall: expected emergency/urgent cases not classified "none";
    - emergency recall: expected emergency cases classified "emergency";
    - false-alarm rate: expected "none" cases classified emergency or urgent.
    `confusion[expected][predicted]` counts cases. Every miss is listed with its question.
    """
    questions = questions or {}
    confusion = {e: {p: 0 for p in LEVELS} for e in LEVELS}
    per_case: dict[str, dict[str, Any]] = {}
    misses: dict[str, list[dict[str, str]]] = {"escalation": [], "emergency": [], "false_alarm": []}
    for uid, want in expected.items():
        got = predicted.get(uid, "none")
        confusion[want][got] += 1
        per_case[uid] = {"expected": want, "predicted": got, "correct": want == got}
        entry = {"id": uid, "expected": want, "predicted": got, "question": questions.get(uid, "")}
        if want != "none" and got == "none":
            misses["escalation"].append(entry)
        if want == "emergency" and got != "emergency":
            misses["emergency"].append(entry)
        if want == "none" and got != "none":
            misses["false_alarm"].append(entry)
    escalate_n = sum(1 for w in expected.values() if w != "none")
    emergency_n = sum(1 for w in expected.values() if w == "emergency")
    none_n = sum(1 for w in expected.values() if w == "none")
    overall = {
        "cases": len(expected),
        "escalation_cases": escalate_n,
        "escalated": escalate_n - len(misses["escalation"]),
        "escalation_recall": _rate(escalate_n - len(misses["escalation"]), escalate_n),
        "emergency_cases": emergency_n,
        "emergency_found": emergency_n - len(misses["emergency"]),
        "emergency_recall": _rate(emergency_n - len(misses["emergency"]), emergency_n),
        "none_cases": none_n,
        "false_alarms": len(misses["false_alarm"]),
        "false_alarm_rate": _rate(len(misses["false_alarm"]), none_n),
        "exact": sum(1 for c in per_case.values() if c["correct"]),
        "accuracy": _rate(sum(1 for c in per_case.values() if c["correct"]), len(expected)),
        "confusion": confusion,
        "misses": misses,
    }
    return Scores(overall, per_case)


# --------------------------------------------------------------------------- answers


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class CorpusText:
    """All article bodies, whitespace-normalised, for verbatim quote lookups."""

    def __init__(self, bodies: Iterable[str]) -> None:
        self._bodies = [_ws(b) for b in bodies]

    def __contains__(self, quote: object) -> bool:
        q = _ws(str(quote))
        return bool(q) and any(q in body for body in self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)


def citation_problems(reply: Reply, corpus: CorpusText | None) -> tuple[int, list[str]]:
    """Check every `[n]` in the reply text: (number of markers, list of problems found).

    A marker is valid when a citation with that n exists, its chunk is among the retrieved
    passages, and (when a corpus is given) its quote appears verbatim in some article body
    (whitespace normalised only).
    """
    by_n = {c.n: c for c in reply.citations}
    retrieved = {p.chunk.id for p in reply.passages}
    markers = cited_numbers(reply.text)
    problems: list[str] = []
    for n in markers:
        cite = by_n.get(n)
        if cite is None:
            problems.append(f"[{n}] has no citation")
            continue
        if cite.chunk_id not in retrieved:
            problems.append(f"[{n}] cites chunk {cite.chunk_id!r}, which was not retrieved")
        if corpus is not None and cite.quote not in corpus:
            problems.append(f"[{n}] quote is not verbatim in the corpus: {cite.quote[:80]!r}")
    return len(markers), problems


def _sentences_with_markers(text: str) -> list[tuple[str, list[int], bool]]:
    """(sentence, citation numbers, inherited?) per sentence. A sentence without markers inherits
    those of the next marked sentence in the same paragraph ("Claim. Claim. [1]" and list items
    whose marker closes the list are common citation styles)."""
    out: list[tuple[str, list[int], bool]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        pending: list[str] = []
        for sentence in split_sentences(paragraph):
            numbers = cited_numbers(sentence)
            if not numbers:
                pending.append(sentence)
                continue
            out.extend((p, numbers, True) for p in pending)
            pending = []
            out.append((sentence, numbers, False))
        out.extend((p, [], False) for p in pending)
    return out


def sentence_support(reply: Reply, threshold: float = SUPPORT_THRESHOLD) -> list[dict[str, Any]]:
    """Per answer sentence: its citation numbers (own or inherited, see `_sentences_with_markers`),
    best support score among its cited passages, and whether that reaches `threshold`.
    Sentences with no marker at all get `support: None`."""
    by_n = {c.n: c for c in reply.citations}
    texts = {p.chunk.id: p.chunk.text for p in reply.passages}
    rows = []
    for sentence, numbers, inherited in _sentences_with_markers(reply.text):
        plain = strip_citations(sentence)
        if not plain:
            continue
        best: float | None = None
        for n in numbers:
            cite = by_n.get(n)
            if cite is None:
                continue
            source = texts.get(cite.chunk_id) or cite.quote
            best = max(best or 0.0, support(plain, source))
        if numbers and best is None:
            best = 0.0
        rows.append(
            {
                "sentence": plain,
                "cited": numbers,
                "inherited": inherited,
                "support": best,
                "supported": best is not None and best >= threshold,
            }
        )
    return rows


def answer_scores(
    replies: Mapping[str, Reply],
    corpus: CorpusText | None = None,
    *,
    threshold: float = SUPPORT_THRESHOLD,
) -> Scores:
    """Citation validity and sentence support over replies routed to "answer".

    - citation validity: share of answers whose every `[n]` is valid (see `citation_problems`);
      an answer with no marker at all is vacuously valid but counted in `uncited_answers`;
    - sentence support: share of cited sentences whose cited passage supports them (a sentence
      without its own marker takes the next marker in its paragraph); `uncited_sentences` counts
      sentences with no marker even so.
    """
    per_case: dict[str, dict[str, Any]] = {}
    for uid, reply in replies.items():
        if reply.route != "answer":
            continue
        markers, problems = citation_problems(reply, corpus)
        rows = sentence_support(reply, threshold)
        cited = [r for r in rows if r["cited"]]
        per_case[uid] = {
            "markers": markers,
            "valid": not problems,
            "problems": problems,
            "sentences": len(rows),
            "cited_sentences": len(cited),
            "supported_sentences": sum(1 for r in cited if r["supported"]),
            "unsupported": [r["sentence"] for r in cited if not r["supported"]],
        }
    n = len(per_case)
    valid = sum(1 for c in per_case.values() if c["valid"])
    cited_total = sum(c["cited_sentences"] for c in per_case.values())
    supported = sum(c["supported_sentences"] for c in per_case.values())
    overall = {
        "answers": n,
        "valid_answers": valid,
        "citation_validity": _rate(valid, n),
        "markers": sum(c["markers"] for c in per_case.values()),
        "invalid_markers": sum(len(c["problems"]) for c in per_case.values()),
        "uncited_answers": sum(1 for c in per_case.values() if c["markers"] == 0),
        "quotes_checked": corpus is not None,
        "cited_sentences": cited_total,
        "supported_sentences": supported,
        "sentence_support": _rate(supported, cited_total),
        "uncited_sentences": sum(c["sentences"] - c["cited_sentences"] for c in per_case.values()),
        "support_threshold": threshold,
        "invalid": [{"id": uid, "problems": c["problems"]} for uid, c in per_case.items() if c["problems"]],
    }
    return Scores(overall, per_case)


def scope_scores(
    expected: Mapping[str, str],
    routes: Mapping[str, str],
    expected_triage: Mapping[str, str] | None = None,
    questions: Mapping[str, str] | None = None,
) -> Scores:
    """Scope accuracy: "out" cases must route out_of_scope, "in" cases must route answer.

    Triage comes first, so a case whose expected triage level is emergency/urgent is also correct
    when routed "triage". "no_answer" on an in-scope case counts as a miss (the corpus or the
    relevance floor failed a question the product should answer).
    """
    expected_triage = expected_triage or {}
    questions = questions or {}
    per_case: dict[str, dict[str, Any]] = {}
    for uid, want in expected.items():
        route = routes.get(uid, "")
        ok = {"out_of_scope"} if want == "out" else {"answer"}
        if expected_triage.get(uid) in ("emergency", "urgent"):
            ok = ok | {"triage"}
        per_case[uid] = {"expected": want, "route": route, "correct": route in ok}
    n = len(per_case)
    correct = sum(1 for c in per_case.values() if c["correct"])
    counts = {
        want: {
            r: sum(1 for c in per_case.values() if c["expected"] == want and c["route"] == r)
            for r in ("answer", "no_answer", "out_of_scope", "triage")
        }
        for want in ("in", "out")
    }
    overall = {
        "cases": n,
        "correct": correct,
        "scope_accuracy": _rate(correct, n),
        "in_cases": sum(1 for c in per_case.values() if c["expected"] == "in"),
        "out_cases": sum(1 for c in per_case.values() if c["expected"] == "out"),
        "routes": counts,
        "misses": [
            {
                "id": uid,
                "expected": c["expected"],
                "route": c["route"],
                "question": questions.get(uid, ""),
            }
            for uid, c in per_case.items()
            if not c["correct"]
        ],
    }
    return Scores(overall, per_case)


def route_scores(routes: Mapping[str, str]) -> Scores:
    """How every case was routed, and the no-answer rate among cases not triaged or out of scope."""
    counts = {r: 0 for r in ("answer", "no_answer", "out_of_scope", "triage")}
    for route in routes.values():
        counts[route] = counts.get(route, 0) + 1
    answerable = counts["answer"] + counts["no_answer"]
    overall = {
        "cases": len(routes),
        "routes": counts,
        "no_answers": counts["no_answer"],
        "no_answer_rate": _rate(counts["no_answer"], answerable),
    }
    return Scores(overall, {uid: {"route": r} for uid, r in routes.items()})


# --------------------------------------------------------------------------- latency


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_scores(timings: Mapping[str, Mapping[str, float]]) -> Scores:
    """p50, p95, max and count per stage (milliseconds), stages in first-seen order."""
    stages: dict[str, list[float]] = {}
    for stage_times in timings.values():
        for stage, ms in stage_times.items():
            stages.setdefault(stage, []).append(float(ms))
    overall = {
        stage: {"n": len(v), "p50": percentile(v, 50), "p95": percentile(v, 95), "max": max(v)}
        for stage, v in stages.items()
    }
    return Scores(overall, {uid: dict(t) for uid, t in timings.items()})
