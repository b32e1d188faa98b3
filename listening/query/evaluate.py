"""Local evaluation of a parsed query: Facebook and LinkedIn items, the preview, ingest.

Matching is on whole words, case-insensitive, after Unicode normalisation,
with curly apostrophes read as straight ones: "can't" matches "Can\u2019t".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from listening.query.parser import And, Node, Not, Or, Term, parse

_TOKEN_RE = re.compile(r"[@#]?\w+(?:'\w+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_APOSTROPHES).lower()


def tokenize(text: str) -> list[str]:
    """Lower-cased words, @handles and #hashtags of `text`, in order."""
    return _TOKEN_RE.findall(normalise(text))


@dataclass
class Doc:
    """An item prepared once for matching against many queries."""

    words: list[str]  # hashtags without '#', handles with '@'
    word_set: frozenset[str]
    tags: frozenset[str]
    lang: str

    @classmethod
    def of(cls, text: str, lang: str = "") -> Doc:
        tokens = tokenize(text)
        words = [token[1:] if token.startswith("#") else token for token in tokens]
        return cls(
            words=words,
            word_set=frozenset(words),
            tags=frozenset(token for token in tokens if token[0] in "@#"),
            lang=(lang or "").lower()[:2],
        )

    def has_sequence(self, sequence: list[str]) -> bool:
        if not sequence:
            return False
        if len(sequence) == 1:
            return sequence[0] in self.word_set
        if any(word not in self.word_set for word in sequence):
            return False
        width = len(sequence)
        first = sequence[0]
        return any(
            self.words[i] == first and self.words[i : i + width] == sequence
            for i in range(len(self.words) - width + 1)
        )


class Matcher:
    """A compiled query: `Matcher(text).matches(item_text, lang)`."""

    def __init__(self, query: str | Node):
        self.node = parse(query) if isinstance(query, str) else query
        self._sequences: dict[int, list[str]] = {}

    def matches(self, text: str, lang: str = "") -> bool:
        return self.matches_doc(Doc.of(text, lang))

    def matches_doc(self, doc: Doc) -> bool:
        return self._eval(self.node, doc)

    def _sequence(self, term: Term) -> list[str]:
        key = id(term)
        if key not in self._sequences:
            self._sequences[key] = [t[1:] if t.startswith("#") else t for t in tokenize(term.value)]
        return self._sequences[key]

    def _eval(self, node: Node, doc: Doc) -> bool:
        if isinstance(node, Term):
            if node.kind in ("word", "phrase"):
                return doc.has_sequence(self._sequence(node))
            if node.kind == "handle":
                return f"@{node.value}" in doc.tags
            if node.kind == "hashtag":
                return f"#{node.value}" in doc.tags
            if node.kind == "lang":
                return doc.lang == node.value
            return False  # pragma: no cover
        if isinstance(node, Not):
            return not self._eval(node.child, doc)
        if isinstance(node, And):
            return all(self._eval(child, doc) for child in node.children)
        if isinstance(node, Or):
            return any(self._eval(child, doc) for child in node.children)
        return False  # pragma: no cover


def positive_terms(node: Node, *, negated: bool = False) -> list[str]:
    """The words and phrases a match must (or may) contain: what the page highlights."""
    if isinstance(node, Term):
        return [] if negated or node.kind == "lang" else [node.value]
    if isinstance(node, Not):
        return positive_terms(node.child, negated=not negated)
    out: list[str] = []
    for child in getattr(node, "children", ()):
        out.extend(positive_terms(child, negated=negated))
    return out
