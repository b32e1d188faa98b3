"""The listening query language: parser errors at the right place, X syntax, local evaluation."""

import pytest

from listening.query import Matcher, QuerySyntaxError, QueryTooLong, parse, to_x

DONE_WHEN = '("card declined" OR "can\'t log in") -test lang:en'


def test_the_issue_query_compiles_to_x_recent_search():
    assert to_x(DONE_WHEN) == '("card declined" OR "can\'t log in") -test lang:en -is:retweet'


@pytest.mark.parametrize(
    ("query", "x"),
    [
        ("card declined", "card declined -is:retweet"),
        ("card OR app", "(card OR app) -is:retweet"),
        ("a b OR c", "((a b) OR c) -is:retweet"),  # X: parentheses rather than trust precedence
        ("a AND (b OR c)", "a (b OR c) -is:retweet"),
        ("fees NOT overdraft", "fees -overdraft -is:retweet"),
        ("fees -(overdraft OR loan)", "fees -(overdraft OR loan) -is:retweet"),
        ("@NorthbridgeBank #Outage", "@northbridgebank #outage -is:retweet"),
        ("co-op bank", '"co-op" bank -is:retweet'),
        ("fees NOT NOT overdraft", "fees overdraft -is:retweet"),
        ("“card declined” Lang:EN", '"card declined" lang:en -is:retweet'),
    ],
)
def test_compiles_to_x(query, x):
    assert to_x(query) == x


def test_too_long_for_x_says_so_with_the_length():
    query = " OR ".join(f'"word number {i}"' for i in range(40))
    with pytest.raises(QueryTooLong) as caught:
        to_x(query)
    assert caught.value.length > 512
    assert "over X's limit of 512" in str(caught.value)


@pytest.mark.parametrize(
    ("query", "position", "words"),
    [
        ("", 0, "empty"),
        ('card ("declined" OR app', 5, "never closed"),
        ("card declined)", 13, "closes nothing"),
        ('card "declined', 5, "quote is never closed"),
        ("card OR", 5, "'OR' needs"),
        ("OR card", 0, "'OR' needs"),
        ("card AND AND app", 5, "'AND' needs"),
        ("card - test", 5, "minus must be followed"),
        ("card NOT", 5, "'NOT' needs"),
        ("card ()", 5, "Empty parentheses"),
        ("card lang:english", 5, "two-letter"),
        ("card from:bob", 5, "Unknown operator 'from:'"),
        ("card @", 5, "handle"),
        ("card !!!", 5, "no letter"),
        ("-test lang:en", 0, "only excludes"),
        ("card OR -test", 8, "only excludes"),
        ('card ""', 5, "no word"),
    ],
)
def test_errors_point_at_the_mistake(query, position, words):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.position == position, caught.value.pointer()
    assert words in caught.value.message
    assert f"at character {position + 1}" in str(caught.value)


def test_the_pointer_underlines_the_mistake():
    with pytest.raises(QuerySyntaxError) as caught:
        parse("card AND AND app")
    assert caught.value.pointer() == "card AND AND app\n     ^^^"
    assert caught.value.parts() == ("card ", "AND", " AND app")


def test_deep_nesting_is_refused_not_a_recursion_error():
    with pytest.raises(QuerySyntaxError):
        parse("(" * 200 + "a" + ")" * 200)


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("My card declined at Tesco", "en", True),
        ("Can\u2019t log in to the app!", "en", True),  # curly apostrophe
        ("CAN'T LOG IN", "en", True),
        ("can't log in, just a test", "en", False),  # excluded
        ("can't log in", "fr", False),  # language
        ("declined card", "en", False),  # a phrase keeps its order
        ("my cards declined", "en", False),  # whole words
    ],
)
def test_local_evaluation(text, lang, expected):
    assert Matcher(DONE_WHEN).matches(text, lang) is expected


def test_handles_hashtags_and_lowercase_or_is_a_word():
    assert Matcher("@northbridgebank").matches("hey @NorthbridgeBank help")
    assert not Matcher("@northbridgebank").matches("northbridgebank help")
    assert Matcher("#outage").matches("again #Outage")
    assert Matcher("outage").matches("again #outage")  # a word matches its hashtag, as on X
    assert not Matcher("#outage").matches("an outage")
    assert not Matcher("card or app").matches("card")  # lower-case "or" is a word: all three needed
