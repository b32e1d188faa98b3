"""A hand-written recursive-descent parser for listening queries.

Grammar (AND binds tighter than OR; two terms side by side mean AND):

    query    := or EOF
    or       := and ("OR" and)*
    and      := unary (["AND"] unary)*
    unary    := "NOT" unary | "-" atom | atom
    atom     := "(" or ")" | PHRASE | WORD

A WORD is a plain word, an @handle, a #hashtag or lang:xx. Keywords are upper
case only: a lower-case "or" is a word, as on X. Every error carries the
position (0-based) and length of the offending text, so the form can point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 2000
MAX_DEPTH = 20

_HANDLE_RE = re.compile(r"^@(\w{1,50})$")
_HASHTAG_RE = re.compile(r"^#(\w{1,100})$")
_LANG_RE = re.compile(r"^[a-z]{2}$")
_OPERATOR_RE = re.compile(r"^([A-Za-z_]+):")
_KEYWORDS = ("AND", "OR", "NOT")


class QuerySyntaxError(ValueError):
    """A mistake in a query, at `position` (0-based) for `length` characters."""

    def __init__(self, message: str, *, position: int, length: int = 1, query: str = ""):
        super().__init__(message)
        self.message = message
        self.position = position
        self.length = max(1, length)
        self.query = query

    @property
    def column(self) -> int:
        return self.position + 1

    def pointer(self) -> str:
        """The query with a caret line under the mistake (for plain-text contexts)."""
        return f"{self.query}\n{' ' * self.position}{'^' * self.length}"

    def parts(self) -> tuple[str, str, str]:
        """The query split around the mistake: before, the mistake, after (for highlighting)."""
        end = self.position + self.length
        return self.query[: self.position], self.query[self.position : end], self.query[end:]

    def __str__(self) -> str:
        return f"{self.message} (at character {self.column})"


# --- The tree ----------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    position: int = field(compare=False, repr=False)


@dataclass(frozen=True)
class Term(Node):
    """kind: "word", "phrase", "handle", "hashtag" or "lang"; value: lower-cased."""

    kind: str = "word"
    value: str = ""


@dataclass(frozen=True)
class Not(Node):
    child: Node | None = None


@dataclass(frozen=True)
class And(Node):
    children: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Or(Node):
    children: tuple[Node, ...] = ()


# --- Tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "-", "PHRASE", "WORD", "AND", "OR", "NOT", "EOF"
    text: str
    position: int


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append(_Token(char, char, i))
            i += 1
        elif char == "-":
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] == ")":
                raise QuerySyntaxError(
                    "A minus must be followed directly by what it excludes, without a space (as in -test).",
                    position=i,
                    query=query,
                )
            out.append(_Token("-", char, i))
            i += 1
        elif char in '"“”':
            end = _closing_quote(query, i + 1)
            if end < 0:
                raise QuerySyntaxError(
                    'This quote is never closed: add a closing " after the phrase.', position=i, query=query
                )
            out.append(_Token("PHRASE", query[i + 1 : end], i))
            i = end + 1
        else:
            start = i
            while i < n and not query[i].isspace() and query[i] not in '()"“”':
                i += 1
            word = query[start:i]
            out.append(_Token(word if word in _KEYWORDS else "WORD", word, start))
    out.append(_Token("EOF", "", n))
    return out


def _closing_quote(query: str, start: int) -> int:
    for index in range(start, len(query)):
        if query[index] in '"“”':
            return index
    return -1


# --- Parsing ------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _tokens(query)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, token: _Token, length: int | None = None) -> QuerySyntaxError:
        return QuerySyntaxError(
            message, position=token.position, length=length or len(token.text) or 1, query=self.query
        )

    def parse(self) -> Node:
        if self.current.kind == "EOF":
            raise QuerySyntaxError(
                'The query is empty: write at least one word or "phrase".', position=0, query=self.query
            )
        node = self.parse_or()
        token = self.current
        if token.kind == ")":
            raise self.error("This ')' closes nothing: remove it, or add a '(' before it.", token)
        if token.kind != "EOF":  # pragma: no cover - every other token starts a term
            raise self.error("Unexpected text here.", token)
        return node

    def parse_or(self) -> Node:
        first = self.current
        children = [self.parse_and()]
        while self.current.kind == "OR":
            operator = self.advance()
            if self.current.kind in ("EOF", ")", "OR", "AND"):
                raise self.error("'OR' needs something to match on both sides.", operator)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(first.position, tuple(children))

    def parse_and(self) -> Node:
        first = self.current
        children = [self.parse_unary()]
        while self.current.kind not in ("EOF", ")", "OR"):
            if self.current.kind == "AND":
                operator = self.advance()
                if self.current.kind in ("EOF", ")", "OR", "AND"):
                    raise self.error("'AND' needs something to match on both sides.", operator)
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(first.position, tuple(children))

    def parse_unary(self) -> Node:
        token = self.current
        if token.kind == "NOT":
            self.advance()
            if self.current.kind in ("EOF", ")", "OR", "AND"):
                raise self.error("'NOT' needs something after it to exclude.", token)
            return Not(token.position, self._nested(self.parse_unary))
        if token.kind == "-":
            self.advance()
            if self.current.kind in ("AND", "OR", "NOT", "-"):
                raise self.error(f"A minus cannot exclude '{self.current.text}': put a term after it.", token)
            return Not(token.position, self._nested(self.parse_atom))
        return self.parse_atom()

    def _nested(self, parse):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"The query is nested more than {MAX_DEPTH} levels deep.", self.current)
        try:
            return parse()
        finally:
            self.depth -= 1

    def parse_atom(self) -> Node:
        token = self.current
        if token.kind == "(":
            self.advance()
            if self.current.kind == ")":
                raise self.error("Empty parentheses: put a term inside, or remove them.", token, length=2)
            if self.current.kind == "EOF":
                raise self.error("This '(' is never closed: add a ')'.", token)
            node = self._nested(self.parse_or)
            if self.current.kind != ")":
                raise self.error("This '(' is never closed: add a ')'.", token)
            self.advance()
            return node
        if token.kind == ")":
            raise self.error("This ')' closes nothing: remove it, or add a '(' before it.", token)
        if token.kind in ("OR", "AND"):
            raise self.error(f"'{token.kind}' needs something to match on both sides.", token)
        if token.kind == "EOF":  # pragma: no cover - callers check for EOF first
            raise self.error("The query ends too early.", token)
        self.advance()
        if token.kind == "PHRASE":
            return self._phrase(token)
        return self._word(token)

    def _phrase(self, token: _Token) -> Term:
        from listening.query.evaluate import tokenize

        value = " ".join(token.text.split()).lower()
        if not tokenize(value):
            raise self.error(
                "This phrase has no word in it: write the words to match between the quotes.",
                token,
                length=len(token.text) + 2,
            )
        return Term(token.position, "phrase", value)

    def _word(self, token: _Token) -> Term:
        from listening.query.evaluate import tokenize

        text = token.text
        if text.startswith("@"):
            match = _HANDLE_RE.match(text)
            if not match:
                raise self.error(
                    "A handle is @ followed by letters, digits or _ (as in @northbridge).", token
                )
            return Term(token.position, "handle", match.group(1).lower())
        if text.startswith("#"):
            match = _HASHTAG_RE.match(text)
            if not match:
                raise self.error("A hashtag is # followed by letters, digits or _ (as in #outage).", token)
            return Term(token.position, "hashtag", match.group(1).lower())
        operator = _OPERATOR_RE.match(text)
        if operator:
            name = operator.group(1).lower()
            if name != "lang":
                raise self.error(
                    f"Unknown operator '{operator.group(0)}': only lang:xx is supported. "
                    'Put text with a colon in quotes ("like:this").',
                    token,
                    length=len(operator.group(0)),
                )
            code = text[len(operator.group(0)) :].lower()
            if not _LANG_RE.match(code):
                raise self.error("lang: takes a two-letter language code, as in lang:en.", token)
            return Term(token.position, "lang", code)
        if not tokenize(text):
            raise self.error(f"'{text}' has no letter or digit to match.", token)
        return Term(token.position, "word", text.lower())


def _can_match_alone(node: Node) -> Node | None:
    """The first part of `node` that has no positive term of its own, or None.

    X refuses a query (or an OR branch) made only of exclusions and lang:, and
    such a query would match most of what is said anyway.
    """
    if isinstance(node, Term):
        return node if node.kind == "lang" else None
    if isinstance(node, Not):
        return node
    if isinstance(node, And):
        for child in node.children:
            if _can_match_alone(child) is None:
                return None
        return node
    if isinstance(node, Or):
        for child in node.children:
            problem = _can_match_alone(child)
            if problem is not None:
                return problem
        return None
    return None  # pragma: no cover


def parse(query: str) -> Node:
    """Parse `query` into a tree, or raise QuerySyntaxError pointing at the mistake."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"The query is longer than {MAX_QUERY_LENGTH} characters.", position=MAX_QUERY_LENGTH, query=query
        )
    node = _Parser(query).parse()
    problem = _can_match_alone(node)
    if problem is not None:
        raise QuerySyntaxError(
            'This part only excludes or filters by language: add a word, "phrase", @handle or #hashtag '
            "that must be there.",
            position=problem.position,
            query=query,
        )
    return node
