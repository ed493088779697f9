"""Load the triage data files (red_flags.yaml, rules.yaml, cards.yaml, backstop.yaml) and compile them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from bot.errors import ConfigError
from bot.types import LEVELS

_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def load_yaml(name: str) -> dict[str, Any]:
    """Read one bundled data file from bot/triage/data."""
    try:
        text = resources.files("bot.triage").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"triage data file missing: bot/triage/data/{name}") from exc
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError(f"bot/triage/data/{name}: expected a mapping at the top level")
    return data


def expand(pattern: str, vocab: dict[str, str], where: str) -> str:
    """Replace {NAME} fragments from `vocab` (recursively) in one pattern."""
    for _ in range(6):
        new = _MACRO.sub(lambda m: _lookup(m.group(1), vocab, where), pattern)
        if new == pattern:
            return new
        pattern = new
    return pattern


def _lookup(name: str, vocab: dict[str, str], where: str) -> str:
    if name not in vocab:
        raise ConfigError(f"{where}: unknown vocabulary fragment {{{name}}}")
    return vocab[name]


def compile_pattern(pattern: str, vocab: dict[str, str], where: str) -> re.Pattern[str]:
    """Compile a data-file pattern, anchored to word edges, with a message naming the bad entry.

    A match may also end just after whitespace: a pattern whose last part is optional after a space
    ("wakes me (?:up)?") must still match "wakes me most nights"."""
    body = expand(str(pattern), vocab, where)
    try:
        return re.compile(rf"(?<![a-z0-9])(?:{body})(?:(?![a-z0-9])|(?<=\s))")
    except re.error as exc:
        raise ConfigError(f"{where}: bad pattern {pattern!r}: {exc}") from exc


def compile_any(patterns: list[str], vocab: dict[str, str], where: str) -> re.Pattern[str] | None:
    """One alternation of several patterns (None when the list is empty)."""
    if not patterns:
        return None
    bodies = [expand(str(p), vocab, where) for p in patterns]
    try:
        return re.compile("|".join(f"(?:{b})" for b in bodies))
    except re.error as exc:
        raise ConfigError(f"{where}: bad pattern list: {exc}") from exc


@dataclass(frozen=True)
class Signal:
    id: str
    category: str
    weak: bool
    patterns: tuple[re.Pattern[str], ...]
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    level: str
    reason_self: str
    reason_other: str
    source: str
    escalate: tuple[tuple[frozenset[str], str], ...]
    signals: tuple[Signal, ...]
    exemplars: tuple[str, ...]


@dataclass(frozen=True)
class Combo:
    category: str
    requires: tuple[tuple[str, ...], ...]  # groups in file order: results never depend on hashing
    distinct: bool


@dataclass(frozen=True)
class Modifier:
    id: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass
class RedFlags:
    categories: dict[str, Category] = field(default_factory=dict)
    modifiers: tuple[Modifier, ...] = ()
    combos: tuple[Combo, ...] = ()


def load_red_flags(data: dict[str, Any] | None = None) -> RedFlags:
    """Validate and compile red_flags.yaml."""
    data = data if data is not None else load_yaml("red_flags.yaml")
    vocab = {str(k): str(v) for k, v in (data.get("vocab") or {}).items()}
    flags = RedFlags()
    signal_ids: set[str] = set()
    for raw in data.get("categories") or []:
        cid = raw.get("id")
        where = f"red_flags.yaml category {cid!r}"
        if not cid:
            raise ConfigError("red_flags.yaml: a category has no id")
        level = raw.get("level")
        if level not in LEVELS:
            raise ConfigError(f"{where}: level {level!r} is not one of {LEVELS}")
        if not raw.get("source"):
            raise ConfigError(f"{where}: every category needs a `source`")
        reason = raw.get("reason") or {}
        if not reason.get("self") or not reason.get("other"):
            raise ConfigError(f"{where}: `reason` needs `self` and `other` wording")
        escalate = []
        for rule in raw.get("escalate") or []:
            if rule.get("level") not in LEVELS:
                raise ConfigError(f"{where}: escalate level {rule.get('level')!r} is not valid")
            escalate.append((frozenset(rule.get("when_any") or ()), rule["level"]))
        signals = []
        for sraw in raw.get("signals") or []:
            sid = sraw.get("id")
            swhere = f"{where} signal {sid!r}"
            pats = tuple(compile_pattern(p, vocab, swhere) for p in sraw.get("patterns") or [])
            if not pats:
                raise ConfigError(f"{swhere}: no patterns")
            signals.append(Signal(
                id=sid, category=cid, weak=bool(sraw.get("weak", False)), patterns=pats,
                unless=compile_any(list(sraw.get("unless") or []), vocab, swhere),
            ))
            signal_ids.add(sid)
        flags.categories[cid] = Category(
            id=cid, name=str(raw.get("name", cid)), level=level,
            reason_self=str(reason["self"]).strip(), reason_other=str(reason["other"]).strip(),
            source=str(raw["source"]), escalate=tuple(escalate), signals=tuple(signals),
            exemplars=tuple(str(e) for e in raw.get("exemplars") or []),
        )
    mods = []
    for mraw in data.get("modifiers") or []:
        where = f"red_flags.yaml modifier {mraw.get('id')!r}"
        mods.append(Modifier(mraw["id"], tuple(compile_pattern(p, vocab, where)
                                               for p in mraw.get("patterns") or [])))
    flags.modifiers = tuple(mods)
    known = signal_ids | {m.id for m in mods}
    combos = []
    for craw in data.get("combos") or []:
        cat = craw.get("category")
        if cat not in flags.categories:
            raise ConfigError(f"red_flags.yaml combo: unknown category {cat!r}")
        groups = tuple(tuple(dict.fromkeys(g)) for g in craw.get("requires") or [])
        for g in groups:
            unknown = set(g) - known
            if unknown:
                raise ConfigError(f"red_flags.yaml combo for {cat!r}: unknown ids {sorted(unknown)}")
        combos.append(Combo(cat, groups, bool(craw.get("distinct", False))))
    flags.combos = tuple(combos)
    for cat in flags.categories.values():
        for needed, _ in cat.escalate:
            if needed - known:
                raise ConfigError(f"red_flags.yaml category {cat.id!r}: escalate names unknown "
                                  f"modifiers {sorted(needed - known)}")
    return flags
