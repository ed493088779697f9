"""Gates and targets from evals/thresholds.toml, checked against a metrics dict.

`[min]`/`[max]` are release gates: `--check` (and so CI) fails when one fails. `[target.min]` /
`[target.max]` are the product's goals: reported with their gap, never hidden, but a miss does not
block a release. A gate is the floor the product has already reached, raised as it improves.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.toml")


@dataclass(frozen=True)
class Threshold:
    metric: str  # dotted path into metrics.json
    op: str  # ">=" or "<="
    limit: float
    target: bool = False  # a goal reported with its gap; only gates block


@dataclass(frozen=True)
class Outcome:
    threshold: Threshold
    value: float | None
    status: str  # "pass", "fail" or "n/a"

    def __str__(self) -> str:
        t = self.threshold
        shown = "n/a" if self.value is None else f"{self.value:.4g}"
        kind = "target" if t.target else "gate"
        return f"{kind} {t.metric} = {shown} (needs {t.op} {t.limit:g}): {self.status.upper()}"

    @property
    def blocking(self) -> bool:
        return self.status == "fail" and not self.threshold.target


def load_thresholds(path: Path | str = DEFAULT_THRESHOLDS) -> list[Threshold]:
    """Read `[min]` (value >= limit) and `[max]` (value <= limit) tables."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read thresholds file {path}: {exc}") from exc
    unknown = set(data) - {"min", "max", "target"}
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {sorted(unknown)}; use [min], [max], [target.min], [target.max]")
    out = []
    tables = [(data, "", False), (data.get("target", {}), "target.", True)]
    for source, prefix, is_target in tables:
        for table, op in (("min", ">="), ("max", "<=")):
            for metric, limit in source.get(table, {}).items():
                if not isinstance(limit, int | float) or isinstance(limit, bool):
                    raise ConfigError(f"{path}: [{prefix}{table}] {metric} = {limit!r} is not a number")
                out.append(Threshold(metric, op, float(limit), is_target))
    return out


def lookup(metrics: dict[str, Any], dotted: str) -> Any:
    """metrics["a"]["b"] for "a.b"; None when any part is missing."""
    node: Any = metrics
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check(metrics: dict[str, Any], thresholds: list[Threshold]) -> list[Outcome]:
    """One Outcome per threshold; missing or None metrics are "n/a", never failures."""
    outcomes = []
    for t in thresholds:
        value = lookup(metrics, t.metric)
        if not isinstance(value, int | float) or isinstance(value, bool):
            outcomes.append(Outcome(t, None, "n/a"))
            continue
        ok = value >= t.limit if t.op == ">=" else value <= t.limit
        outcomes.append(Outcome(t, float(value), "pass" if ok else "fail"))
    return outcomes
