"""The triage data files are complete and validated (experts review them, not the Python)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.triage.rules import compile_pattern, load_red_flags, load_yaml


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


def test_no_signal_pattern_has_a_trailing_space() -> None:
    """A trailing space in the data is a typing slip ("chest feels like " was once missed that way)."""
    data = load_yaml("red_flags.yaml")
    for category in data["categories"]:
        for signal in category["signals"]:
            for pattern in signal["patterns"]:
                assert pattern == pattern.rstrip(), (category["id"], signal["id"], pattern)


@pytest.mark.parametrize(("pattern", "text"), [
    ("wakes {G2}(?:me|him) (?:up)?", "the ache wakes me most nights"),
    ("feel (?:like |the urge)", "i don't feel like i need to go"),
])
def test_a_pattern_whose_end_is_optional_after_a_space_still_matches(pattern: str, text: str) -> None:
    """Patterns are anchored at word edges, and a match may also end just after a space, so an
    optional last part or an alternative ending in a space does not stop the match before a word."""
    assert compile_pattern(pattern, {"G2": r"(?:[^\s.,;!?]+\s+){0,2}?"}, "test").search(text)


def test_a_pattern_still_ends_at_a_word_edge() -> None:
    assert not compile_pattern("numb", {}, "test").search("numbers")
    assert not compile_pattern("wee", {}, "test").search("weeks")
