"""Priority hints and a rough intent guess, from phrase lists the bank can change.

A hint, not a verdict: it puts "my card was stolen" at the top of the inbox before anyone has
read it. Agents set the real priority. The phrase lists are configuration
(``PRIORITY_PHRASES``) because each bank, product launch and outage brings its own words.

Matching is forgiving where customers are sloppy and strict where words overlap:

* case-insensitive, and apostrophes are dropped on both sides, so ``can't``, ``can\u2019t`` (curly)
  and ``cant`` are the same word;
* spaces and hyphens inside a phrase match any run of spaces/hyphens or none at all, so
  ``log in`` matches ``login``, ``log-in`` and the hashtag ``#appdown`` matches ``app down``;
* a phrase matches whole words only (``fraud`` does not fire on ``defrauded``... but see the
  defaults, which list the forms that matter), with an optional plural ``s``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "DEFAULT_PRIORITY_PHRASES",
    "INTENTS",
    "Intent",
    "PriorityHint",
    "PriorityLevel",
    "classify",
    "guess_intent",
    "normalise_for_matching",
    "priority_hint",
]

PriorityLevel = Literal["urgent", "high", "normal"]
Intent = Literal["question", "complaint", "thanks", "other"]
INTENTS: Final[tuple[Intent, ...]] = ("question", "complaint", "thanks", "other")

DEFAULT_PRIORITY_PHRASES: Final[Mapping[str, tuple[str, ...]]] = {
    # Money or access at risk right now: someone must look within minutes.
    "urgent": (
        "fraud",
        "fraudulent",
        "stolen card",
        "card stolen",
        "card was stolen",
        "card has been stolen",
        "hacked",
        "account locked",
        "locked out",
        "can't log in",
        "cannot log in",
        "can not log in",
        "unable to log in",
        "can't sign in",
        "cannot sign in",
        "outage",
        "app down",
        "app is down",
        "site down",
        "website down",
        "unauthorized transaction",
        "unauthorised transaction",
        "unauthorized payment",
        "unauthorised payment",
        "did not make",
        "didn't make",
        "don't recognise",
        "don't recognize",
        "do not recognise",
        "do not recognize",
        "cloned",
        "click a link",
        "clicked a link",
        "clicked on a link",
        "suspicious text",
        "suspicious email",
        "suspicious call",
        "suspicious message",
        "entered my details",
        "gave my details",
        "pretending to be",
        "can't get into",
        "cannot get into",
        "unable to get into",
        "can't access",
        "cannot access",
        "unable to access",
        "logs me out",
        "logging me out",
        "code never arrives",
        "app crashed",
        "app not working",
        "app isn't working",
        "app is not working",
        "scam",
        "scammed",
        "phishing",
        "identity theft",
    ),
    # An unhappy customer: answer before the thread grows.
    "high": (
        "complaint",
        "complain",
        "complaining",
        "terrible",
        "awful",
        "appalling",
        "disgusting",
        "disgraceful",
        "disgrace",
        "shocking",
        "ridiculous",
        "unacceptable",
        "useless",
        "rubbish",
        "worst",
        "furious",
        "angry",
        "fed up",
        "not happy",
        "unhappy",
        "still waiting",
        "no response",
        "no reply",
        "poor service",
        "charged twice",
        "double charged",
        "close my account",
        "switching banks",
        "ombudsman",
    ),
}

_APOSTROPHES_RE: Final = re.compile(r"['\u2018\u2019\u02bc\u02b9\u2032\u0060\u00b4]")
_SPACES_RE: Final = re.compile(r"[\s\-\u2010-\u2015_]+")


def normalise_for_matching(text: str) -> str:
    """Lower-case, drop apostrophes (straight or curly), collapse spaces, hyphens, underscores."""
    return _SPACES_RE.sub(" ", _APOSTROPHES_RE.sub("", text.casefold())).strip()


def _trie_char(char: str) -> str:
    return "[ ]?" if char == " " else re.escape(char)


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One regex for many phrases, sharing their common prefixes.

    Python's ``re`` tries the branches of an alternation one by one at every position, so 65
    phrases cost 65 attempts per word; a prefix tree rejects most positions on their first
    character. A space inside a phrase matches one optional space (see the module docstring).
    """
    root: dict[str, dict] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        branches = [_trie_char(char) + build(child) for char, child in node.items() if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            # Greedy optional: the longer phrase is tried first ("fraudulent" before "fraud").
            return f"(?:{body})?"
        return body

    return build(root)


@functools.lru_cache(maxsize=32)
def _compile_level(phrases: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    # Matching is insensitive to spaces, so a phrase is known by its letters alone; the first
    # configured phrase with those letters is the one reported.
    by_letters: dict[str, str] = {}
    for phrase in phrases:
        normalised = normalise_for_matching(phrase)
        if normalised:
            by_letters.setdefault(normalised.replace(" ", ""), phrase)
    if not by_letters:
        return None
    bodies = {normalise_for_matching(p) for p in by_letters.values()}
    # The word-boundary checks sit outside the tree: a mid-word position is rejected at once.
    return re.compile(rf"(?<!\w)(?:{_trie_pattern(sorted(bodies))})s?(?!\w)"), by_letters


@dataclass(frozen=True, slots=True)
class PriorityHint:
    """``level`` is "urgent", "high" or "normal"; ``phrase`` is the configured phrase that
    matched, as configured (``""`` for "normal")."""

    level: PriorityLevel
    phrase: str


def _match(normalised: str, phrases: Sequence[str]) -> str:
    """The configured phrase found in ``normalised`` text (first occurrence), or ``""``."""
    compiled = _compile_level(tuple(phrases))
    if compiled is None:
        return ""
    pattern, by_letters = compiled
    found = pattern.search(normalised)
    if found is None:
        return ""
    letters = found.group().replace(" ", "")
    # The optional plural "s" is not part of the phrase (unless the phrase ends in "s").
    return by_letters.get(letters) or by_letters.get(letters[:-1], "")


def _phrase_table(phrases: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    return {**DEFAULT_PRIORITY_PHRASES, **{k: tuple(v) for k, v in (phrases or {}).items()}}


def _hint_from(urgent: str, high: str) -> PriorityHint:
    if urgent:
        return PriorityHint("urgent", urgent)
    if high:
        return PriorityHint("high", high)
    return PriorityHint("normal", "")


def priority_hint(text: str, phrases: Mapping[str, Iterable[str]] | None = None) -> PriorityHint:
    """Return the first level ("urgent", then "high") whose phrases occur in ``text``.

    ``phrases`` maps a level to its phrases; a level missing from it keeps the defaults, so a
    bank that only configures extra "urgent" phrases still gets complaint detection.
    """
    table = _phrase_table(phrases)
    normalised = normalise_for_matching(text or "")
    urgent = _match(normalised, table["urgent"]) if normalised else ""
    high = "" if urgent or not normalised else _match(normalised, table["high"])
    return _hint_from(urgent, high)


def classify(
    text: str, phrases: Mapping[str, Iterable[str]] | None = None, *, sentiment_score: float = 0.0
) -> tuple[PriorityHint, Intent]:
    """:func:`priority_hint` and :func:`guess_intent` in one pass (what ingestion uses)."""
    table = _phrase_table(phrases)
    normalised = normalise_for_matching(text or "")
    if not normalised:
        return PriorityHint("normal", ""), "other"
    urgent = _match(normalised, table["urgent"])
    high = _match(normalised, table["high"])
    return _hint_from(urgent, high), _intent(text, normalised, high, sentiment_score)


# --------------------------------------------------------------------------------------------
# Intent
# --------------------------------------------------------------------------------------------

# Thanks and praise. Experts get "kudos" from these, so they cover how people really say it,
# including in the other languages the bank may serve.
_THANKS_RE: Final = re.compile(
    r"(?<!\w)(?:"
    r"thanks?|thank ?(?:you|u)|thanku|thx|thnx|thanx|ty|tysm|cheers|many thanks|much obliged|"
    r"(?:much |really |greatly )?appreciated?|appreciate it|grateful|"
    r"kudos|shout ?out|props to|"
    # "sorted"/"fixed" alone is often a demand ("get it fixed"), so only the settled forms count.
    r"(?:solved|resolved|fixed|sorted)(?: it| out)? now|all (?:sorted|fixed|resolved|good now)|"
    r"(?:its|thats|that is|it is|issue|problem) (?:now )?(?:sorted|resolved|fixed|solved)|"
    r"(?:works|working) (?:now|again|fine now)|"
    r"(?:great|excellent|amazing|brilliant|fantastic|superb|outstanding|fab|top) "
    r"(?:service|help|support|job|team|work)|"
    r"(?:so|very|really|super) helpful|you(?:re| are| guys are) (?:the best|a star|stars|amazing|brilliant)|"
    r"life ?saver|legends?|well done|love (?:the|your) (?:new )?(?:app|service|team)|"
    r"gracias|merci|danke(?: schön| schoen)?|vielen dank|bedankt|dank je(?: wel)?|dankjewel|dank u"
    r")(?!\w)"
)
# "Thanks for nothing", "no thanks to you": sarcasm reads as thanks to a keyword matcher.
_SARCASM_RE: Final = re.compile(
    r"(?<!\w)(?:thanks?(?: you)?(?: a lot| very much)? for nothing|no thanks to|"
    r"thanks?(?: you)? for (?:wasting|ruining|making (?:my|me))|cheers for nothing)(?!\w)"
)
# Politeness in a request is not gratitude for help received.
_THANKS_IN_ADVANCE_RE: Final = re.compile(
    r"(?<!\w)(?:thanks?(?: you)? in advance|tia|thanks? in anticipation)(?!\w)"
)
_NEGATION_BEFORE_RE: Final = re.compile(
    r"(?:not|never|no|isnt|arent|wasnt|didnt|doesnt|dont|still not)\s+(?:\w+\s+)?$"
)

_QUESTION_START_RE: Final = re.compile(
    r"(?:^|[.!?]\s+)(?:how|what|why|when|where|who|which|whats|hows|wheres|whys|"
    r"is there|are there|is it|is anyone|is the|are you|can i|can you|could you|could i|"
    r"would you|will i|will you|should i|do you|do i|does anyone|does the|did you|did i|"
    r"anyone know|any idea|any update|any news)(?!\w)"
)
# Complaint cues beyond the configured "high" phrases (which are used as well).
_COMPLAINT_RE: Final = re.compile(
    r"(?<!\w)(?:worst|hate|joke|pathetic|incompetent|never again|sort it out|fix (?:it|this)|"
    r"waste of|sick of|tired of|been waiting|still no|nobody|no one (?:answers|replies|helps))(?!\w)"
)


def _has_thanks(normalised: str) -> bool:
    for found in _THANKS_RE.finditer(normalised):
        before = normalised[max(0, found.start() - 30) : found.start()]
        if _NEGATION_BEFORE_RE.search(before) or _THANKS_IN_ADVANCE_RE.match(normalised, found.start()):
            continue  # "not fixed now", "thanks in advance"
        return True
    return False


# ASCII, fullwidth and Spanish opening question marks.
_QUESTION_MARKS: Final = ("?", "\uff1f", "\u00bf")


def _is_question(text: str, normalised: str) -> bool:
    return any(mark in text for mark in _QUESTION_MARKS) or bool(_QUESTION_START_RE.search(normalised))


def guess_intent(
    text: str,
    *,
    sentiment_score: float = 0.0,
    complaint_phrases: Iterable[str] | None = None,
) -> Intent:
    """A rough intent: "question", "complaint", "thanks" (including praise) or "other".

    Precedence, and why:

    1. sarcastic thanks ("thanks for nothing") -> complaint;
    2. a question that also complains ("why is your app so useless?") -> complaint, otherwise
       any question -> question, even with a "thanks" at the end (that is politeness, and the
       customer is still waiting for an answer);
    3. thanks -> thanks, unless the post also complains *and* reads negative overall
       ("thanks, but this is still broken and awful");
    4. complaint words, or a clearly negative post -> complaint;
    5. otherwise -> other.
    """
    normalised = normalise_for_matching(text or "")
    if not normalised:
        return "other"
    complaint_match = _match(normalised, tuple(complaint_phrases or DEFAULT_PRIORITY_PHRASES["high"]))
    return _intent(text, normalised, complaint_match, sentiment_score)


def _intent(text: str, normalised: str, complaint_match: str, sentiment_score: float) -> Intent:
    complains = bool(complaint_match) or bool(_COMPLAINT_RE.search(normalised))
    if _SARCASM_RE.search(normalised):
        return "complaint"
    if _is_question(text, normalised):
        return "complaint" if complains else "question"
    if _has_thanks(normalised):
        if complains and sentiment_score < 0:
            return "complaint"
        return "thanks"
    if complains or sentiment_score <= -0.5:
        return "complaint"
    return "other"
