"""evals.metrics and evals.thresholds on small hand-built inputs with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bot.types import Chunk, Citation, Passage, Reply, TriageResult
from evals import metrics as m
from evals.thresholds import DEFAULT_THRESHOLDS, Threshold, check, load_thresholds

# --------------------------------------------------------------------------- retrieval


def test_retrieval_exact_values() -> None:
    ranked = {
        "a": ["nothing", "Core STRENGTH  helps", "other", "core strength again"],  # ranks 2 and 4
        "b": ["core strength first", "x"],  # rank 1
        "c": ["x", "y"],  # miss
        "d": ["no evidence for this case"],  # not scored, but counted in passage length
    }
    evidence = {"a": ["core strength"], "b": ["core strength"], "c": ["core strength"]}
    scores = m.retrieval_scores(ranked, evidence)
    a = scores.per_case["a"]
    assert (a["hit@1"], a["hit@3"], a["hit@5"], a["first_relevant_rank"]) == (0, 1, 1, 2)
    assert a["mrr@10"] == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert a["ndcg@10"] == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    assert scores.per_case["b"]["ndcg@10"] == 1.0
    assert scores.per_case["c"]["mrr@10"] == 0.0 and scores.per_case["c"]["ndcg@10"] == 0.0
    assert "d" not in scores.per_case
    o = scores.overall
    assert o["cases"] == 3
    assert o["hit@1"] == pytest.approx(1 / 3) and o["hit@1_count"] == 1
    assert o["hit@3"] == pytest.approx(2 / 3) and o["hit@3_count"] == 2
    assert o["mrr@10"] == pytest.approx(0.5)
    assert o["hit@k_curve"][:4] == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3])
    lengths = [len(t) for texts in ranked.values() for t in texts]
    assert o["mean_passage_chars"] == pytest.approx(sum(lengths) / len(lengths))
    assert o["misses"] == ["c"]


def test_relevance_normalises_case_whitespace_quotes_and_dashes() -> None:
    passage = "Don\u2019t   run through\nsharp pain \u2014 rest instead."
    assert m.is_relevant(passage, ["don't run through sharp pain - rest"])
    assert not m.is_relevant(passage, ["keep running"])


def test_retrieval_without_evidence_is_none_not_zero() -> None:
    o = m.retrieval_scores({"a": ["x"]}, {}).overall
    assert o["cases"] == 0 and o["hit@3"] is None and o["mrr@10"] is None


def test_retrieval_only_top_depth_counts() -> None:
    ranked = {"a": ["x"] * 10 + ["evidence here"]}
    assert m.retrieval_scores(ranked, {"a": ["evidence"]}).per_case["a"]["first_relevant_rank"] is None


# --------------------------------------------------------------------------- triage


def test_triage_counts_rates_confusion_and_misses() -> None:
    expected = {
        "e1": "emergency",
        "e2": "emergency",
        "u1": "urgent",
        "n1": "none",
        "n2": "none",
        "n3": "none",
        "n4": "none",
    }
    predicted = {
        "e1": "emergency",
        "e2": "urgent",
        "u1": "none",
        "n1": "none",
        "n2": "urgent",
        "n3": "none",
        "n4": "none",
    }
    questions = {"u1": "numb saddle area?"}
    o = m.triage_scores(expected, predicted, questions).overall
    assert (o["escalation_cases"], o["escalated"]) == (3, 2)
    assert o["escalation_recall"] == pytest.approx(2 / 3)
    assert (o["emergency_cases"], o["emergency_found"], o["emergency_recall"]) == (2, 1, 0.5)
    assert (o["none_cases"], o["false_alarms"], o["false_alarm_rate"]) == (4, 1, 0.25)
    assert o["confusion"]["emergency"] == {"emergency": 1, "urgent": 1, "none": 0}
    assert o["confusion"]["urgent"] == {"emergency": 0, "urgent": 0, "none": 1}
    assert o["confusion"]["none"] == {"emergency": 0, "urgent": 1, "none": 3}
    assert [x["id"] for x in o["misses"]["escalation"]] == ["u1"]
    assert o["misses"]["escalation"][0]["question"] == "numb saddle area?"
    assert [x["id"] for x in o["misses"]["emergency"]] == ["e2"]
    assert [x["id"] for x in o["misses"]["false_alarm"]] == ["n2"]
    assert o["exact"] == 4


def test_triage_no_cases_gives_none_rates() -> None:
    o = m.triage_scores({}, {}).overall
    assert o["escalation_recall"] is None and o["false_alarm_rate"] is None


# --------------------------------------------------------------------------- answers

BODY = "Most runners' back pain settles within a few weeks.\nCore work   helps prevent it."


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(cid, "art", "Title", "Intro", text, 0, len(text))


def _reply(text: str, citations: list[Citation], route: str = "answer") -> Reply:
    passages = [
        Passage(_chunk("c1", "Most runners' back pain settles within a few weeks."), 0.9),
        Passage(_chunk("c2", "Core work helps prevent it."), 0.8),
    ]
    return Reply(route=route, text=text, triage=TriageResult("none"), citations=citations, passages=passages)


def _cite(n: int, chunk_id: str, quote: str) -> Citation:
    return Citation(n, "art", "Title", "Intro", quote, chunk_id=chunk_id)


def test_citation_validity_catches_bad_markers_and_quotes() -> None:
    corpus = m.CorpusText([BODY])
    good = _reply(
        "Back pain in runners usually settles within weeks [1]. Core work helps [2].",
        [
            _cite(1, "c1", "back pain settles within a few weeks"),
            _cite(2, "c2", "Core work helps prevent it."),
        ],
    )
    missing = _reply("Core work helps [3].", [_cite(1, "c1", "back pain")])
    not_retrieved = _reply("Core work helps [1].", [_cite(1, "zz", "Core work helps")])
    paraphrased = _reply("Core work helps [1].", [_cite(1, "c2", "Core training helps")])
    whitespace_only = _reply("Core work helps [1].", [_cite(1, "c2", "Core work\nhelps prevent")])
    scores = m.answer_scores(
        {
            "good": good,
            "missing": missing,
            "nr": not_retrieved,
            "para": paraphrased,
            "ws": whitespace_only,
            "triaged": _reply("Call 911 [9].", [], route="triage"),
        },
        corpus,
    )
    per = scores.per_case
    assert per["good"]["valid"] and per["ws"]["valid"]
    assert per["missing"]["problems"] == ["[3] has no citation"]
    assert "not retrieved" in per["nr"]["problems"][0]
    assert "not verbatim" in per["para"]["problems"][0]
    assert "triaged" not in per  # only answers are checked
    o = scores.overall
    assert (o["answers"], o["valid_answers"]) == (5, 2)
    assert o["citation_validity"] == pytest.approx(0.4)
    assert {x["id"] for x in o["invalid"]} == {"missing", "nr", "para"}


def test_sentence_support_uses_the_cited_passage() -> None:
    reply = _reply(
        "Runners' back pain usually settles within weeks [1]. Surgery is often needed [2]. Thanks for asking.",
        [_cite(1, "c1", "back pain settles"), _cite(2, "c2", "Core work helps")],
    )
    o = m.answer_scores({"a": reply}).overall
    assert (o["cited_sentences"], o["supported_sentences"], o["uncited_sentences"]) == (2, 1, 1)
    assert o["sentence_support"] == 0.5
    assert o["quotes_checked"] is False


def test_uncited_answer_is_counted() -> None:
    o = m.answer_scores({"a": _reply("Rest a little.", [])}).overall
    assert o["uncited_answers"] == 1 and o["citation_validity"] == 1.0


def test_scope_accuracy_and_triage_exception() -> None:
    expected = {"o1": "out", "o2": "out", "i1": "in", "i2": "in", "i3": "in"}
    routes = {
        "o1": "out_of_scope",
        "o2": "answer",
        "i1": "answer",
        "i2": "no_answer",
        "i3": "triage",
    }
    o = m.scope_scores(expected, routes, expected_triage={"i3": "emergency"}).overall
    assert (o["cases"], o["correct"]) == (5, 3)
    assert o["scope_accuracy"] == pytest.approx(0.6)
    assert {x["id"] for x in o["misses"]} == {"o2", "i2"}
    assert o["routes"]["in"]["no_answer"] == 1


def test_route_scores_no_answer_rate() -> None:
    o = m.route_scores({"a": "answer", "b": "no_answer", "c": "triage", "d": "answer"}).overall
    assert o["no_answers"] == 1 and o["no_answer_rate"] == pytest.approx(1 / 3)


def test_latency_percentiles() -> None:
    timings = {str(i): {"total": float(v), "embed": 1.0} for i, v in enumerate(range(1, 101))}
    o = m.latency_scores(timings).overall
    assert o["total"]["p50"] == pytest.approx(50.5)
    assert o["total"]["p95"] == pytest.approx(95.05)
    assert o["embed"] == {"n": 100, "p50": 1.0, "p95": 1.0, "max": 1.0}
    assert m.percentile([], 50) is None


# --------------------------------------------------------------------------- thresholds


def test_default_thresholds_load() -> None:
    found = {(t.metric, t.op, t.limit, t.target) for t in load_thresholds(DEFAULT_THRESHOLDS)}
    targets = {f[:3] for f in found if f[3]}
    gates = {f[:3] for f in found if not f[3]}
    assert ("retrieval.hit@3", ">=", 0.95) in targets
    assert ("retrieval.mean_passage_chars", "<=", 1200.0) in targets
    assert ("triage.false_alarm_rate", "<=", 0.05) in targets
    assert ("triage.escalation_recall", ">=", 1.0) in gates  # safety gates sit at the target
    assert ("answers.citation_validity", ">=", 1.0) in gates
    assert len(targets) == 8 and len(gates) == 8


def test_targets_are_reported_but_do_not_block() -> None:
    thresholds = [Threshold("retrieval.hit@3", ">=", 0.95, target=True), Threshold("retrieval.hit@3", ">=", 0.8)]
    outcomes = check({"retrieval": {"hit@3": 0.9}}, thresholds)
    assert [o.status for o in outcomes] == ["fail", "pass"]
    assert [o.blocking for o in outcomes] == [False, False]
    outcomes = check({"retrieval": {"hit@3": 0.7}}, thresholds)
    assert [o.blocking for o in outcomes] == [False, True]


def test_check_pass_fail_and_na() -> None:
    metrics = {
        "retrieval": {"hit@3": 0.95, "mean_passage_chars": 1300.0},
        "triage": {"escalation_recall": None},
    }
    outcomes = check(
        metrics,
        [
            Threshold("retrieval.hit@3", ">=", 0.95),
            Threshold("retrieval.mean_passage_chars", "<=", 1200),
            Threshold("triage.escalation_recall", ">=", 1.0),
            Threshold("scope.scope_accuracy", ">=", 0.95),
        ],
    )
    assert [o.status for o in outcomes] == ["pass", "fail", "n/a", "n/a"]
    assert "FAIL" in str(outcomes[1])


def test_bad_thresholds_file_names_the_problem(tmp_path: Path) -> None:
    from bot.errors import ConfigError

    bad = tmp_path / "t.toml"
    bad.write_text('[min]\n"retrieval.hit@3" = "high"\n')
    with pytest.raises(ConfigError, match="retrieval.hit@3"):
        load_thresholds(bad)


def test_sentences_inherit_the_marker_closing_their_paragraph() -> None:
    reply = _reply(
        "Back pain usually settles:\n- within a few weeks\n- with rest [1]\n\nCore work helps. Trust me.",
        [_cite(1, "c1", "back pain settles")],
    )
    rows = m.sentence_support(reply)
    assert [(r["cited"], r["inherited"]) for r in rows] == [
        ([1], True),
        ([1], True),
        ([1], False),
        ([], False),
        ([], False),
    ]
    o = m.answer_scores({"a": reply}).overall
    assert (o["cited_sentences"], o["uncited_sentences"]) == (3, 2)
