import pytest

from search.interface import QueryError
from search.query import All, Any, Not, Phrase, Word, parse


def test_words_are_anded() -> None:
    assert parse("python lyon").root == All((Word("python"), Word("lyon")))


def test_fields_and_aliases() -> None:
    assert parse("company:acme").root == Word("acme", "org")
    assert parse("organisation:acme").root == Word("acme", "org")
    assert parse("skill:python").root == Word("python", "skill")
    assert parse("location:Lyon").root == Word("lyon", "loc")
    assert parse("headline:directeur").root == Word("directeur", "title")
    assert parse('name:"Zoé Martin"').root == Phrase(("zoé", "martin"), "name")


def test_phrase_prefix_or_not() -> None:
    assert parse('"machine learning"').root == Phrase(("machine", "learning"))
    assert parse("dévelop*").root == Word("dévelop", prefix=True)
    assert parse("java OR rust").root == Any((Word("java"), Word("rust")))
    assert parse("python -java").root == All((Word("python"), Not(Word("java"))))


def test_unbalanced_quote_is_closed() -> None:
    parsed = parse('"machine learning')
    assert parsed.root == Phrase(("machine", "learning"))
    assert parsed.notices


def test_unbalanced_parentheses_are_repaired() -> None:
    assert parse("(python OR java").root == Any((Word("python"), Word("java")))
    assert parse("python)").root == Word("python")
    assert parse("python)").notices


def test_unknown_field_is_searched_as_text() -> None:
    parsed = parse("colour:blue")
    assert parsed.root == All((Word("colour"), Word("blue")))
    assert "colour" in parsed.notices[0]


def test_empty_and_punctuation_only_queries_match_everything() -> None:
    assert parse("").root is None
    assert parse('  "" () OR ').root is None


@pytest.mark.parametrize(
    "text",
    ["a*", "x" * 600, " ".join(f"w{i}" for i in range(40)), "(" * 20 + "python"],
)
def test_unusable_queries_raise_a_readable_error(text: str) -> None:
    with pytest.raises(QueryError) as err:
        parse(text)
    assert err.value.message and "Whoosh" not in err.value.message


import contextlib  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab é:*"()-| OR\tcompany'), max_size=60))
def test_parser_only_ever_raises_query_error(text: str) -> None:
    with contextlib.suppress(QueryError):
        parse(text)
