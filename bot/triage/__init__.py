"""Red-flag triage: decides whether a message needs an emergency or see-a-doctor card.

    from bot.triage import Triage, render_card
    triage = Triage(embedder)                   # embedder optional: enables the backstop
    result = triage.assess(user_messages, query_vector)
    if result.escalated or result.dose_request:
        text = render_card(result, settings.emergency_number)

Clinical content lives in bot/triage/data/*.yaml for expert review.
"""

from bot.triage.cards import render_card
from bot.triage.triage import Triage

__all__ = ["Triage", "render_card"]
