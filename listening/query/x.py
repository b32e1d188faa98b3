"""Compile a parsed query to X API v2 recent-search syntax.

X's rules we follow: AND is a space; OR is upper case; a minus negates a term,
a phrase or a group; at least one term must not be negated (the parser checks);
the query is at most 512 characters on the Basic and Pro tiers, so longer
queries are refused here with their length rather than by X at the next poll.
Retweets are left out (`-is:retweet`): they repeat what was said, and inflate
volume and spike counts without a new voice.
"""

from __future__ import annotations

import re

from listening.query.parser import And, Node, Not, Or, Term, parse

X_QUERY_MAX_LENGTH = 512
_BARE_WORD_RE = re.compile(r"^[\w']+$")


class QueryTooLong(ValueError):
    def __init__(self, length: int, limit: int):
        self.length = length
        self.limit = limit
        super().__init__(
            f"For X this query is {length} characters long, over X's limit of {limit}: "
            "shorten it, or split it into two queries."
        )


def _term(term: Term) -> str:
    if term.kind == "word":
        return term.value if _BARE_WORD_RE.match(term.value) else f'"{term.value}"'
    if term.kind == "phrase":
        return f'"{term.value}"'
    if term.kind == "handle":
        return f"@{term.value}"
    if term.kind == "hashtag":
        return f"#{term.value}"
    return f"lang:{term.value}"


def _compile(node: Node) -> str:
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Not):
        child = node.child
        if isinstance(child, Not):
            return _compile(child.child)
        inner = _compile(child)
        return f"-({inner})" if isinstance(child, (And, Or)) else f"-{inner}"
    if isinstance(node, And):
        return " ".join(f"({_compile(c)})" if isinstance(c, Or) else _compile(c) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(f"({_compile(c)})" if isinstance(c, And) else _compile(c) for c in node.children)
    raise TypeError(node)  # pragma: no cover


def to_x(query: str | Node, *, limit: int = X_QUERY_MAX_LENGTH, exclude_retweets: bool = True) -> str:
    """X recent-search syntax for `query`; QueryTooLong beyond `limit` characters."""
    node = parse(query) if isinstance(query, str) else query
    compiled = _compile(node)
    if exclude_retweets:
        compiled = f"({compiled}) -is:retweet" if isinstance(node, Or) else f"{compiled} -is:retweet"
    if len(compiled) > limit:
        raise QueryTooLong(len(compiled), limit)
    return compiled
