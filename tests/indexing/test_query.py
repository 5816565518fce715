from __future__ import annotations

import pytest

from indexing.search.query import MAX_QUERY_CHARS, MAX_TERMS, SearchError, parse


@pytest.mark.parametrize(
    "raw, fts5",
    [
        ("photosynthesis", '("photosynthesis")'),
        ("Light  reactions", '("Light") AND ("reactions")'),
        ('"electron transport chain" atp', '("electron transport chain") AND ("atp")'),
        ("cat or dog fish", '("cat" OR "dog") AND ("fish")'),
        ("cat OR dog OR eel", '("cat" OR "dog" OR "eel")'),
        ("plants -animals", '(("plants")) NOT (("animals"))'),
        ('plants -"cell wall" -x', '(("plants")) NOT (("cell wall") OR ("x"))'),
        ("a -b or -c", '(("a")) NOT (("b" AND "c"))'),
        ("a or -b", '("a")'),  # FTS5 cannot say "or not": the wanted term stays
        ("e-mail foo_bar", '("e mail") AND ("foo bar")'),
        ('unclosed "quote here', '("unclosed") AND ("quote here")'),
        ("NEAR(a b) c* ^d text:e", '("NEAR a") AND ("b") AND ("c") AND ("d") AND ("text e")'),
        ("or leading or", '("leading")'),
        ("Ünïcode straße", '("Ünïcode") AND ("straße")'),
    ],
)
def test_parse_and_fts5(raw: str, fts5: str) -> None:
    assert parse(raw).to_fts5() == fts5


def test_words_leave_out_excluded_terms() -> None:
    assert parse('"red cell" blood -plasma').words == ["red", "cell", "blood"]


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Enter something"),
        ("   \t\n", "Enter something"),
        ("\x00\x01", "Enter something"),
        ("((( ))) !!! \"\" ''", "no words"),
        ("-alone", "only excludes"),
        ("-a or -b", "only excludes"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
        (" ".join(["w"] * (MAX_TERMS + 1)), "too many terms"),
    ],
)
def test_unsearchable_queries_say_why(raw: str, message: str) -> None:
    with pytest.raises(SearchError, match=message):
        parse(raw)


def test_control_characters_become_spaces() -> None:
    query = parse("cell\x00wall")
    assert query.text == "cell wall"
    assert query.to_fts5() == '("cell") AND ("wall")'
