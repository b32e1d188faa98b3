"""The listening query language: parse, compile for X, evaluate locally.

    ("card declined" OR "can't log in") -test lang:en

- words and "exact phrases" (case-insensitive, whole words; straight and curly
  apostrophes are the same character);
- AND (or nothing: two terms side by side must both match), OR, NOT, parentheses;
  AND binds tighter than OR, as in X's own syntax;
- a leading minus excludes: ``-test``, ``-"test account"``, ``-(a OR b)``;
- ``@handle`` (a mention of that handle), ``#hashtag``, ``lang:xx`` (ISO 639-1).

`parse()` raises `QuerySyntaxError` with the position of the mistake;
`to_x()` gives X recent-search syntax and raises `QueryTooLong` beyond X's limit;
`Matcher` evaluates a parsed query on stored or fetched items (Facebook,
LinkedIn, the preview, and every new mention at ingest).
"""

from listening.query.evaluate import Matcher, tokenize
from listening.query.parser import Node, QuerySyntaxError, parse
from listening.query.x import X_QUERY_MAX_LENGTH, QueryTooLong, to_x

__all__ = [
    "X_QUERY_MAX_LENGTH",
    "Matcher",
    "Node",
    "QuerySyntaxError",
    "QueryTooLong",
    "parse",
    "to_x",
    "tokenize",
]
