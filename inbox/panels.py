"""Panels that higher apps show inside the inbox's pages, without the inbox naming them.

A higher app registers a panel from its `AppConfig.ready()`:

    register_panel("composer", "learning/_suggestions.html", suggestions_context)

and the page that owns the slot renders `{% pane_panels "composer" conversation %}`. The context
function gets the request and the page's object (a conversation, an escalation) and returns the
panel's template context, or None to show nothing. A panel that fails is logged and left out:
one broken panel never takes the conversation pane down with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# The slots that exist: the reply composer of a conversation, the side of the conversation pane
# (beside the customer card: complaints), the expert's answer form of an escalation and the
# answer shown on it (escalations renders those two; it may use the inbox's registry, being above it).
SLOTS = ("composer", "conversation_side", "escalation_answer", "escalation_answered")


@dataclass(frozen=True)
class Panel:
    template_name: str
    context_function: Callable[..., dict | None]


_panels: dict[str, dict[str, Panel]] = {slot: {} for slot in SLOTS}


def register_panel(slot: str, template_name: str, context_function: Callable[..., dict | None]) -> None:
    """Add (or replace: `ready()` may run twice in tests) the panel rendered with `template_name`."""
    if slot not in _panels:
        raise ValueError(f"unknown panel slot {slot!r}; slots: {', '.join(SLOTS)}")
    _panels[slot][template_name] = Panel(template_name, context_function)


def panels_for(slot: str, request, obj) -> list[tuple[str, dict]]:
    """(template name, context) of each registered panel that has something to show."""
    shown = []
    for panel in _panels.get(slot, {}).values():
        try:
            context = panel.context_function(request, obj)
        except Exception:
            logger.exception("panel %s failed in slot %s", panel.template_name, slot)
            continue
        if context is not None:
            shown.append((panel.template_name, context))
    return shown
