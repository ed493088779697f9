"""The triage data files are complete and validated (experts review them, not the Python)."""

from __future__ import annotations

import re

import pytest

from bot.errors import ConfigError
from bot.triage.rules import load_red_flags, load_yaml


def test_every_category_has_source_reason_and_phrases() -> None:
    flags = load_red_flags()
    assert len(flags.categories) >= 13
    for cat in flags.categories.values():
        assert cat.source and cat.reason_self and cat.reason_other
        assert cat.signals
        if cat.level != "none":
            assert cat.exemplars, cat.id


def test_levels_follow_the_reference_table() -> None:
    levels = {c.id: c.level for c in load_red_flags().categories.values()}
    for cid in ("cauda_equina", "major_trauma", "aaa"):
        assert levels[cid] == "emergency"
    for cid in ("infection", "malignancy", "fracture_risk", "kidney", "radiating_nerve",
                "persistent", "severe_pain", "young_athlete", "stress_fracture"):
        assert levels[cid] == "urgent"
    assert levels["inflammatory"] == "none"


def test_every_card_has_source_and_both_variants() -> None:
    cards = load_yaml("cards.yaml")
    for name in ("emergency", "urgent", "dose"):
        assert cards[name]["source"]
        assert cards[name]["self"] and cards[name]["other"]
    assert "{emergency_number}" in cards["emergency"]["self"]
    assert "{reasons}" in cards["urgent"]["other"]


def test_bad_level_is_named() -> None:
    data = load_yaml("red_flags.yaml")
    data["categories"][0]["level"] = "soonish"
    with pytest.raises(ConfigError, match="soonish"):
        load_red_flags(data)


def test_unknown_fragment_is_named() -> None:
    data = load_yaml("red_flags.yaml")
    data["categories"][0]["signals"][0]["patterns"] = ["{NOPE} numb"]
    with pytest.raises(ConfigError, match="NOPE"):
        load_red_flags(data)


def test_no_signal_pattern_ends_in_a_space() -> None:
    """Signal patterns are anchored at word edges, so a trailing space can never match before a word:
    "chest feels like an elephant" was missed that way."""
    data = load_yaml("red_flags.yaml")
    for category in data["categories"]:
        for signal in category["signals"]:
            for pattern in signal["patterns"]:
                assert pattern == pattern.rstrip(), (category["id"], signal["id"], pattern)
                assert not _may_end_in_a_space(pattern), (category["id"], signal["id"], pattern)


def _may_end_in_a_space(pattern: str) -> bool:
    """The pattern's last group is optional after a space ("me (?:up)?") or has an alternative that
    ends in a space ("(?:like |the urge)"): either can end the match on a space."""
    if re.search(r"\s\((?:\?:)?[^()]*\)[?*]$", pattern):
        return True
    if not pattern.endswith(")"):
        return False
    depth, start = 0, None
    for i in range(len(pattern) - 1, -1, -1):
        if pattern[i] == ")" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif pattern[i] == "(" and (i == 0 or pattern[i - 1] != "\\"):
            depth -= 1
            if depth == 0:
                start = i
                break
    if start is None or pattern.startswith("(?=", start) or pattern.startswith("(?!", start):
        return False
    body = pattern[start + 1:-1].removeprefix("?:")
    level, alternatives, current = 0, [], ""
    for ch in body:
        if ch == "(":
            level += 1
        elif ch == ")":
            level -= 1
        if ch == "|" and level == 0:
            alternatives.append(current)
            current = ""
        else:
            current += ch
    alternatives.append(current)
    return any(alt.endswith(" ") for alt in alternatives)


def test_the_end_in_a_space_check_sees_optional_and_alternative_endings() -> None:
    assert _may_end_in_a_space("wakes {G2}(?:me|him) (?:up)?")
    assert _may_end_in_a_space("feel (?:like |the urge|any urge)")
    assert not _may_end_in_a_space("wakes {G2}(?:me|him)(?: up)?")
    assert not _may_end_in_a_space("feel (?:like (?:i|he)|the urge)")
    assert not _may_end_in_a_space("numb(?! (?:after|from) )")
