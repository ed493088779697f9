"""Write one run's outputs: results.jsonl, metrics.json, report.md and PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.runner import CaseRun
from evals.thresholds import Outcome

RETRIEVAL_COLUMNS = ("hit@1", "hit@3", "hit@5", "mrr@10", "ndcg@10", "mean_passage_chars")
LEVELS = ("emergency", "urgent", "none")


def case_record(run: CaseRun, scores: dict[str, Any] | None = None) -> dict[str, Any]:
    """One line of results.jsonl (`scores`: this case's entry of metrics["per_case"])."""
    reply = run.reply
    record: dict[str, Any] = {
        "id": run.case.id,
        "set": run.case.set,
        "question": run.case.question,
        "route": run.route,
        "triage": {"level": reply.triage.level, "categories": reply.triage.categories} if reply else None,
        "answer": reply.text if reply else None,
        "citations": [{"n": c.n, "title": c.title, "quote": c.quote} for c in reply.citations] if reply else [],
        "retrieved": [
            {"title": h.title, "text": h.text, "score": h.score} for h in run.retrieved.get("product", [])[:10]
        ],
        "latency_ms": dict(reply.timings) if reply else {},
    }
    if run.retrieval_source:
        record["retrieval_source"] = run.retrieval_source
    if scores:
        record["scores"] = scores
    if run.error:
        record["error"] = run.error
    return record


def write_results(runs: Sequence[CaseRun], path: Path, per_case: dict[str, Any] | None = None) -> None:
    per_case = per_case or {}
    with path.open("w", encoding="utf-8") as fh:
        for run in runs:
            record = case_record(run, per_case.get(run.case.uid))
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _margin(product: Any, baseline: Any, digits: int = 3) -> str:
    if product is None or baseline is None:
        return "n/a"
    diff = product - baseline
    return f"{'+' if diff >= 0 else ''}{diff:.{digits}f}"


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_markdown(
    metrics: dict[str, Any],
    outcomes: Sequence[Outcome],
    problems: Sequence[str],
    meta: dict[str, Any],
) -> str:
    """The human-readable report."""
    lines: list[str] = ["# Backtrack evaluation report", ""]
    lines += [
        f"- sets: {', '.join(meta.get('sets', []))}",
        f"- cases: {metrics['cases']}",
        f"- answerer: {meta.get('answerer') or 'default'}",
        f"- started: {meta.get('started', '')}; took {meta.get('seconds', 0):.1f} s",
        "",
    ]
    if problems:
        lines += ["## Skipped lines", ""] + [f"- {p}" for p in problems] + [""]
    if metrics.get("errors"):
        lines += ["## Errors", ""] + [f"- `{e['id']}`: {e['error']}" for e in metrics["errors"]] + [""]

    # thresholds first: the verdict
    lines += ["## Thresholds", "", "Gates block a release (`--check`); targets are the product's goals, shown with "
              "their gap.", "", "| kind | metric | value | needs | result |", "|---|---|---|---|---|"]
    for o in outcomes:
        result = {"pass": "PASS", "fail": "below target" if o.threshold.target else "FAIL"}.get(o.status, "n/a")
        lines.append(
            f"| {'target' if o.threshold.target else 'gate'} | {o.threshold.metric} | {_fmt(o.value)} "
            f"| {o.threshold.op} {o.threshold.limit:g} | {result} |"
        )
    lines.append("")

    r = metrics["retrieval"]
    lines += [
        "## Retrieval",
        "",
        f"{r['cases']} case(s) with evidence. A passage is relevant when it contains an evidence "
        "phrase. Margin = product minus baseline (for passage chars, lower is shorter).",
        "",
    ]
    header = "| retriever | " + " | ".join(RETRIEVAL_COLUMNS) + " |"
    lines += [header, "|---" * (len(RETRIEVAL_COLUMNS) + 1) + "|"]
    rows = [("product", r)] + list(metrics.get("baselines", {}).items())
    for name, scores in rows:
        cells = [_fmt(scores.get(c), 1 if c == "mean_passage_chars" else 3) for c in RETRIEVAL_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if metrics.get("baselines"):
        lines += [
            "",
            "| product margin over | " + " | ".join(RETRIEVAL_COLUMNS) + " |",
            "|---" * (len(RETRIEVAL_COLUMNS) + 1) + "|",
        ]
        for name, scores in metrics["baselines"].items():
            cells = [_margin(r.get(c), scores.get(c), 1 if c == "mean_passage_chars" else 3) for c in RETRIEVAL_COLUMNS]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if "tutorial" in metrics["baselines"]:
            lines += [
                "",
                "The tutorial baseline returns k=4 passages, so its hit@5 equals its hit@4.",
            ]
    if r.get("misses"):
        lines += [
            "",
            "Product misses (no relevant passage in the top 10): " + ", ".join(f"`{u}`" for u in r["misses"]),
        ]
    lines += ["", "![hit@k](hit_at_k.png)", ""]

    t = metrics["triage"]
    lines += ["## Triage", ""]
    if not t["cases"]:
        lines += ["No case has a `triage` field.", ""]
    else:
        lines += [
            "| measure | count | rate |",
            "|---|---|---|",
            f"| escalation recall (emergency/urgent not classified none) | {t['escalated']}/"
            f"{t['escalation_cases']} | {_fmt(t['escalation_recall'])} |",
            f"| emergency recall (emergency classified emergency) | {t['emergency_found']}/"
            f"{t['emergency_cases']} | {_fmt(t['emergency_recall'])} |",
            f"| false alarms (none classified urgent/emergency) | {t['false_alarms']}/"
            f"{t['none_cases']} | {_fmt(t['false_alarm_rate'])} |",
            f"| exact level | {t['exact']}/{t['cases']} | {_fmt(t['accuracy'])} |",
            "",
            "Confusion matrix (rows expected, columns predicted):",
            "",
            "| expected \\ predicted | " + " | ".join(LEVELS) + " |",
            "|---|---|---|---|",
        ]
        for want in LEVELS:
            lines.append(f"| {want} | " + " | ".join(str(t["confusion"][want][got]) for got in LEVELS) + " |")
        for kind, title in (
            ("escalation", "Missed escalations"),
            ("emergency", "Emergencies not classified emergency"),
            ("false_alarm", "False alarms"),
        ):
            misses = t["misses"][kind]
            lines += ["", f"{title}: {len(misses)}"]
            lines += [
                f"- `{x['id']}` (expected {x['expected']}, got {x['predicted']}): " + _short(x["question"])
                for x in misses
            ]
        lines += ["", "![triage confusion](triage_confusion.png)", ""]

    a = metrics["answers"]
    s = metrics["scope"]
    routes = metrics["routes"]
    lines += [
        "## Answers",
        "",
        "| measure | count | rate |",
        "|---|---|---|",
        f"| citation validity (answers whose every [n] is valid) "
        f"| {a['valid_answers']}/{a['answers']} | {_fmt(a['citation_validity'])} |",
        f"| sentence support (cited sentences supported by their passage, threshold "
        f"{a['support_threshold']}) | {a['supported_sentences']}/{a['cited_sentences']} "
        f"| {_fmt(a['sentence_support'])} |",
        f"| scope accuracy | {s['correct']}/{s['cases']} | {_fmt(s['scope_accuracy'])} |",
        f"| no-answer (of answer + no_answer routes) | {routes['no_answers']}/"
        f"{routes['routes']['answer'] + routes['routes']['no_answer']} "
        f"| {_fmt(routes['no_answer_rate'])} |",
        "",
        f"Routes: {', '.join(f'{k} {v}' for k, v in routes['routes'].items())}. "
        f"Answers without any [n]: {a['uncited_answers']}; "
        f"uncited sentences: {a['uncited_sentences']}; quotes checked against the corpus: "
        + ("yes." if a["quotes_checked"] else "no (corpus not loaded)."),
    ]
    if a["invalid"]:
        lines += ["", "Invalid citations:"]
        for x in a["invalid"]:
            lines += [f"- `{x['id']}`: {'; '.join(x['problems'])}"]
    if s.get("misses"):
        lines += ["", "Scope misses:"]
        lines += [
            f"- `{x['id']}` (expected {x['expected']}, routed {x['route']}): " + _short(x["question"])
            for x in s["misses"]
        ]
    lines.append("")

    lat = metrics["latency_ms"]
    lines += ["## Latency (ms)", ""]
    if lat:
        lines += ["| stage | n | p50 | p95 | max |", "|---|---|---|---|---|"]
        for stage, v in lat.items():
            lines.append(f"| {stage} | {v['n']} | {_fmt(v['p50'], 1)} | {_fmt(v['p95'], 1)} | {_fmt(v['max'], 1)} |")
        lines += ["", "![latency](latency.png)"]
    else:
        lines.append("No timings recorded.")
    lines.append("")
    return "\n".join(lines)


def write_plots(metrics: dict[str, Any], out_dir: Path) -> list[Path]:
    """hit@k curves, triage confusion matrix and total-latency histogram (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    curves = {"product": metrics["retrieval"].get("hit@k_curve")}
    curves.update({n: s.get("hit@k_curve") for n, s in metrics.get("baselines", {}).items()})
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, curve in curves.items():
        if curve and curve[0] is not None:
            ax.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
    ax.set(xlabel="k", ylabel="hit@k", title="Retrieval hit@k", ylim=(0, 1.02))
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    fig.tight_layout()
    written.append(out_dir / "hit_at_k.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    confusion = metrics["triage"]["confusion"]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    grid = [[confusion[w][g] for g in LEVELS] for w in LEVELS]
    ax.imshow(grid, cmap="Blues")
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center")
    ax.set_xticks(range(3), LEVELS)
    ax.set_yticks(range(3), LEVELS)
    ax.set(xlabel="predicted", ylabel="expected", title="Triage confusion")
    fig.tight_layout()
    written.append(out_dir / "triage_confusion.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    totals = [v for v in metrics.get("_latency_totals", []) if v is not None]
    fig, ax = plt.subplots(figsize=(6, 4))
    if totals:
        ax.hist(totals, bins=min(30, max(5, len(totals) // 2)))
    ax.set(xlabel="total ms per question", ylabel="cases", title="Latency")
    fig.tight_layout()
    written.append(out_dir / "latency.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    return written


def write_report(
    out_dir: Path,
    runs: Sequence[CaseRun],
    metrics: dict[str, Any],
    outcomes: Sequence[Outcome],
    problems: Sequence[str],
    meta: dict[str, Any],
) -> None:
    """Everything for one run into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results(runs, out_dir / "results.jsonl", metrics.get("per_case"))
    payload = {
        **metrics,
        "meta": meta,
        "skipped_lines": list(problems),
        "thresholds": [
            {
                "metric": o.threshold.metric,
                "op": o.threshold.op,
                "limit": o.threshold.limit,
                "target": o.threshold.target,
                "value": o.value,
                "status": o.status,
            }
            for o in outcomes
        ],
    }
    (out_dir / "metrics.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    totals = [r.reply.timings.get("total") for r in runs if r.reply is not None]
    write_plots({**metrics, "_latency_totals": totals}, out_dir)
    (out_dir / "report.md").write_text(render_markdown(metrics, outcomes, problems, meta), encoding="utf-8")
