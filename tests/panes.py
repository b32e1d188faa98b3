"""A conversation as the browser shows it: the pane, then the lower part of the customer card that
the pane's placeholder asks for once it is shown (templates/inbox/_side_loading.html)."""

from __future__ import annotations

import html
import re

from django.urls import reverse

HX = {"HTTP_HX_REQUEST": "true"}
SIDE_LOADING = re.compile(r'<div id="pane-side"[^>]*\shx-get="([^"]+)"[^>]*\sdata-side-loading')


def side_url(pane_html: str) -> str:
    """The URL the pane's placeholder asks for (what htmx requests on load)."""
    match = SIDE_LOADING.search(pane_html)
    assert match, "the pane has no placeholder that asks for the customer card's lower part"
    return html.unescape(match.group(1))


def conversation_html(client, conversation_pk: int) -> str:
    """The pane and, after it, its side: what the browser shows once both requests have answered."""
    pane = client.get(reverse("inbox:detail", args=[conversation_pk]), **HX)
    assert pane.status_code == 200, pane.status_code
    text = pane.content.decode()
    side = client.get(side_url(text), **HX)
    assert side.status_code == 200, side.status_code
    return text + side.content.decode()
