"""Why a reply could not be taken or sent: refusals for the user, retries for the worker."""

from __future__ import annotations

from inbox import guard
from inbox.services import InboxError


class ReplyError(InboxError):
    """A reply refused, with what to do instead."""


class ReplyBlocked(ReplyError):
    """The personal-data guard refused the text; the composer highlights where and why."""

    def __init__(self, result: guard.GuardResult, *, text: str, channel: str, can_override: bool):
        super().__init__(result.message(channel))
        self.result = result
        self.text = text
        self.channel = channel
        self.can_override = can_override


class RetryLater(Exception):
    """The network asked us to wait (a rate limit): try again in `countdown` seconds."""

    def __init__(self, countdown: int, message: str):
        super().__init__(message)
        self.countdown = countdown


class TransientSendError(Exception):
    """The send failed in a way a retry may fix; the reply is queued again."""
