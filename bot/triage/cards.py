"""Fixed response cards (cards.yaml) filled in by data substitution only; nothing is generated."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from bot.triage.rules import RedFlags, load_red_flags, load_yaml
from bot.types import TriageResult


@lru_cache(maxsize=1)
def _data() -> tuple[dict[str, Any], RedFlags]:
    return load_yaml("cards.yaml"), load_red_flags()


_PRONOUNS = {"him": "he", "her": "she", "them": "they"}
_HIM = ("husband", "boyfriend", "fiance", "son", "boy", "dad", "father", "brother", "grandpa",
        "grandfather", "grandad", "granddad", "grandson", "uncle", "nephew", "stepson", "stepdad")
_HER = ("wife", "girlfriend", "fiancee", "daughter", "girl", "mum", "mom", "mother", "sister",
        "grandma", "grandmother", "granny", "nan", "nana", "granddaughter", "aunt", "auntie",
        "aunty", "niece", "stepdaughter", "stepmom", "stepmum")


def _person_words(result: TriageResult, unknown: dict[str, str]) -> dict[str, str]:
    phrase = result.person or unknown["person"]
    noun = phrase.removeprefix("your ") if result.person else ""
    obj = "him" if noun in _HIM else "her" if noun in _HER else unknown["person_object"]
    if not result.person:
        obj = unknown["person_object"]
    return {
        "person": phrase,
        "Person": phrase[:1].upper() + phrase[1:],
        "person_object": obj,
        "person_subject": _PRONOUNS.get(obj, unknown["person_subject"]),
    }


def render_card(result: TriageResult, emergency_number: str = "911") -> str:
    """Markdown for the fixed card(s) matching `result`: the emergency or urgent card with the
    plain-words reasons of every matched category, and the dose card for dose requests.
    Returns an empty string when nothing needs a card."""
    cards, flags = _data()
    variant = "other" if result.about == "other" else "self"
    words = _person_words(result, cards["unknown_person"])
    parts = []
    if result.level in ("emergency", "urgent"):
        reasons = []
        for category in result.categories:
            cat = flags.categories.get(category)
            if cat is None or cat.level == "none":
                continue
            reason = cat.reason_other if variant == "other" else cat.reason_self
            if reason not in reasons:
                reasons.append(reason)
        bullets = "\n".join(f"- {r}" for r in reasons) or "- " + _fallback(variant)
        parts.append(_fill(cards[result.level][variant], words, emergency_number, bullets))
    if result.dose_request:
        parts.append(_fill(cards["dose"][variant], words, emergency_number, ""))
    return "\n\n".join(p.strip() for p in parts)


def _fallback(variant: str) -> str:
    return ("The symptoms described can be a sign of a serious problem." if variant == "other"
            else "Your symptoms can be a sign of a serious problem.")


def _fill(template: str, words: dict[str, str], number: str, reasons: str) -> str:
    values = {**words, "emergency_number": number, "reasons": reasons}
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out
