from __future__ import annotations

import pytest

from indexing.search.query import MAX_QUERY_CHARS, MAX_TERMS, STOP_WORDS, SearchError, parse


@pytest.mark.parametrize(
    "raw, scored, required",
    [
        ("photosynthesis", '"photosynthesis"', None),
        ("Light  reactions", '"light" OR "reactions"', None),
        # A question keeps only its informative words, none of them required.
        ("how do I compress a stream with deflate", '"compress" OR "stream" OR "deflate"', None),
        ('"electron transport chain" atp', '"electron" OR "transport" OR "chain" OR "atp"', '("electron transport chain")'),
        ("cat OR dog fish", '"cat" OR "dog" OR "fish"', '("cat" OR "dog")'),
        # A lower-case "or" is a word of the question, not the operator: nothing is required.
        ("split at every comma or semicolon", '"split" OR "every" OR "comma" OR "semicolon"', None),
        ("cat OR dog OR eel", '"cat" OR "dog" OR "eel"', '("cat" OR "dog" OR "eel")'),
        ("plants -animals", '("plants") NOT (("animals"))', None),
        ('plants -"cell wall" -x', '("plants") NOT (("cell wall") OR ("x"))', None),
        ("a b -c OR -d", '("b") NOT (("c" AND "d"))', None),
        ("a b -c or -d", '("b") NOT (("c") OR ("d"))', None),
        ("x OR -b", '"x"', '("x")'),  # FTS5 cannot say "or not": the wanted term stays
        ("e-mail foo_bar", '"e" OR "mail" OR "foo" OR "bar"', None),
        ('unclosed "quote here', '"unclosed" OR "quote"', '("quote here")'),  # "here" is a stop word
        ('"deflate"', '"deflate"', '("deflate")'),  # quoted: required even alone
        ("NEAR(a b) c* ^d text:e", '"near" OR "b" OR "c" OR "d" OR "text" OR "e"', None),
        ("or leading or", '"leading"', None),
        ("OR leading OR", '"leading"', None),
        ("Ünïcode straße", '"ünïcode" OR "straße"', None),
        # A word said three times weighs three times (BM25's query-term frequency).
        ("Deflate deflate DEFLATE", '"deflate" OR "deflate" OR "deflate"', None),
    ],
)
def test_parse_and_fts5(raw: str, scored: str, required: str | None) -> None:
    query = parse(raw)
    assert query.fts5_scored() == scored
    assert query.fts5_required() == required


def test_words_leave_out_excluded_terms_and_stop_words() -> None:
    assert parse('"red cell" of the blood -plasma').words == ["red", "cell", "blood"]


def test_question_words_and_postgres_stop_words_are_stop_words() -> None:
    assert {"how", "what", "do", "i", "can", "the", "does", "why", "should"} <= STOP_WORDS
    assert not {"deflate", "copy", "charge", "money", "class"} & STOP_WORDS


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", "Enter something"),
        ("   \t\n", "Enter something"),
        ("\x00\x01", "Enter something"),
        ("((( ))) !!! \"\" ''", "no words"),
        ("-alone", "only excludes"),
        ("-a OR -b", "only excludes"),
        ("how do I", "only common words"),
        ('"to be or not to be"', "only common words"),
        ("what is the -deflate", "only common words"),
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
    assert query.fts5_scored() == '"cell" OR "wall"'
