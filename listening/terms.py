"""Top terms and hashtags of a set of posts, with stop words removed per language.

Used by the listening page (what people talk about) and by spike alerts (what
is unusual in the spike compared with the hours before: "app down", "log in").
Bigrams are counted as well as single words, since "log in" says more than "log".
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable

from listening.query.evaluate import tokenize

_COMMON = "rt amp via http https www com co t u ur im dm pls plz please hi hello hey thanks thank ok yes no"


def _words_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words_of(
        "a about above after again against all also am an and any are aren't as at be because been before "
        "being below between both but by can can't cannot could couldn't did didn't do does doesn't doing "
        "don't down during each few for from further get got had hadn't has hasn't have haven't having he "
        "her here hers herself him himself his how i i'd i'll i'm i've if in into is isn't it it's its "
        "itself just know let's like me more most much my myself need no nor not now of off on once only "
        "or other our ours out over own really same she should shouldn't so some still such than that "
        "that's the their theirs them then there there's these they they're this those through to too "
        "under until up us very was wasn't we we're were weren't what what's when where which while who "
        "whom why will with won't would wouldn't you you're your yours yourself again ever every going "
        "gone one two day today yesterday time way never see go try tried want make told said says anyone "
        "else someone something since ago morning afternoon evening tonight tomorrow "
    ),
    "fr": _words_of(
        "au aux avec ce ces dans de des du elle en et eux il je la le les leur lui ma mais me même mes "
        "moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu "
        "un une vos votre vous c d j l à m n s t y été est sont ai as avons avez ont suis es être avoir "
        "fait plus "
    ),
    "de": _words_of(
        "aber alle als also am an auch auf aus bei bin bis bist da dann das dass dein dem den der des die "
        "doch du ein eine einem einen einer eines er es für hat hatte ich ihr im in ist ja jetzt kann "
        "kein mein mich mir mit nach nicht noch nur ob oder schon sein sich sie sind so um und uns von "
        "vor war was wie wir wird zu zum zur "
    ),
    "es": _words_of(
        "a al algo como con de del el ella en es esta este esto ha hay la las le lo los me mi muy más no "
        "nos o para pero por que se si sin su sus también te tu un una uno y ya yo está están son "
    ),
    "nl": _words_of(
        "aan al als bij dan dat de die dit een en er het hij hoe ik in is je kan me met mijn na naar niet "
        "nog nu of om ons ook op te tot uit van voor was wat we wij zijn ze zo "
    ),
}
_COMMON_SET = frozenset(_COMMON.split())
_NUMBER_RE = re.compile(r"^\d+([.,]\d+)?$")
_PUNCTUATION_RE = re.compile(r"[,.!?;:()\[\]\"…]+(?:\s|$)|[!?;()\[\]\"…]+")
_ELISION_RE = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|dell|all|un)['\u2019](?=\w)")
# Stop words that still end a bigram worth showing: "log in", "app down", "locked out".
PARTICLES = frozenset({"in", "down", "out", "up", "off", "on", "over"})


def stop_words(lang: str) -> frozenset[str]:
    return STOP_WORDS.get((lang or "en")[:2], STOP_WORDS["en"]) | _COMMON_SET


def _words(text: str, lang: str, ignore: frozenset[str]) -> tuple[list[str], list[str]]:
    """(content words, hashtags) of one post; a stop word breaks a bigram."""
    stops = stop_words(lang)
    words: list[str] = []
    hashtags: list[str] = []
    tokens: list[str] = []
    for segment in _PUNCTUATION_RE.split(text):
        tokens.extend(tokenize(segment))
        tokens.append(".")  # no bigram across punctuation
    elided = _ELISION_RE if (lang or "")[:2] in ("fr", "it") else None
    for token in tokens:
        if elided is not None:
            token = elided.sub("", token)  # "l'application" is "application"
        if token == ".":
            words.append("")
            continue
        if token.startswith("#"):
            hashtags.append(token)
            continue
        if token in PARTICLES and words and words[-1] and not words[-1].startswith("~"):
            words.append(f"~{token}")  # only as the end of a bigram
            continue
        if (
            token.startswith("@")
            or token in stops
            or token in ignore
            or len(token) < 2
            or _NUMBER_RE.match(token)
        ):
            words.append("")  # a gap: no bigram across it
            continue
        words.append(token)
    return words, hashtags


def _grams(words: list[str]) -> set[str]:
    """Each post counts a term once: twenty "down"s in one angry post are one voice."""
    grams = {word for word in words if word and not word.startswith("~")}
    grams.update(
        f"{a} {b.lstrip('~')}" for a, b in itertools.pairwise(words) if a and b and not a.startswith("~")
    )
    return grams


def top_terms(
    posts: Iterable[tuple[str, str]], *, limit: int = 15, ignore: Iterable[str] = ()
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(terms, hashtags) with the number of posts using each, most used first.

    `posts` yields (text, lang). A bigram replaces its words when it is as common
    as they are ("log in" rather than "log" and "in").
    """
    ignored = frozenset(word.lower() for word in ignore)
    terms: Counter[str] = Counter()
    tags: Counter[str] = Counter()
    for text, lang in posts:
        words, hashtags = _words(text, lang, ignored)
        terms.update(_grams(words))
        tags.update(set(hashtags))
    return _prefer_bigrams(terms, limit), [
        (tag, n) for tag, n in tags.most_common(limit) if n > 1 or len(tags) < limit
    ]


def _prefer_bigrams(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    ranked = [(term, n) for term, n in counts.most_common(limit * 4) if n > 1 or " " not in term]
    bigrams = {term: n for term, n in ranked if " " in term}
    covered = set()
    for term, n in bigrams.items():
        for word in term.split():
            if counts[word] <= n * 1.25:
                covered.add(word)
    return [(term, n) for term, n in ranked if term not in covered][:limit]


def distinctive_terms(
    spike: Iterable[tuple[str, str]], baseline: Iterable[tuple[str, str]], *, limit: int = 5, ignore=()
) -> list[str]:
    """Terms that are unusually common in `spike` compared with `baseline` (smoothed log-odds)."""
    ignored = frozenset(word.lower() for word in ignore)
    spike_counts: Counter[str] = Counter()
    base_counts: Counter[str] = Counter()
    n_spike = n_base = 0
    for text, lang in spike:
        spike_counts.update(_grams(_words(text, lang, ignored)[0]))
        n_spike += 1
    for text, lang in baseline:
        base_counts.update(_grams(_words(text, lang, ignored)[0]))
        n_base += 1
    if not n_spike:
        return []
    scored = []
    for term, n in spike_counts.items():
        if n < max(2, n_spike * 0.1):
            continue
        share = n / n_spike
        base_share = (base_counts[term] + 0.5) / (n_base + 1)
        # Bigrams are a little preferred: "app down" reads better than "app".
        score = share * math.log(share / base_share) * (1.2 if " " in term else 1.0)
        if score > 0:
            scored.append((score, n, term))
    scored.sort(reverse=True)
    chosen: list[str] = []
    for _score, _n, term in scored:
        # Skip a word already said by a chosen bigram, and a bigram made of chosen words.
        if any(term in other.split() for other in chosen if " " in other):
            continue
        if " " in term and all(word in chosen for word in term.split()):
            continue
        if " " in term and any(set(term.split()) & set(other.split()) for other in chosen if " " in other):
            continue
        chosen.append(term)
        if len(chosen) == limit:
            break
    return chosen
