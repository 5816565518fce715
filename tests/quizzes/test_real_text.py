"""The failures a student met on day one (issue 9), each pinned by the text that caused it: a
number like 10.1 crashed the quiz; running heads, page numbers, generic words and labels were
asked for; false statements were glued from parts of tokens; options mixed kinds; questions
pointed back to a sentence they did not show."""
from __future__ import annotations

import pytest

from quizzes.generators import QuestionType, QuizSpec, generate
from quizzes.generators.furniture import Furniture
from quizzes.generators.schema import BLANK, Passage
from quizzes.generators.terms import key_terms, term_kind
from quizzes.generators.text import WORD

from .corpus import material_of

DIARY_PAGES = [
    f"""THE SIEGE OF VICKSBURG. {50 + n}
however, the firing did not last long, and the garrison slept. JUNE {10 + n}.-The heat was
intense and the gunboats shelled the town through the night. The cave dwellers of the town
dug shelters into the clay hills behind the courthouse. The garrison lived on mule meat and
parched corn while the federal army tightened the siege lines around the earthworks. The
general ordered the batteries on the bluffs to answer the gunboats at dawn.

{50 + n}"""
    for n in range(6)
]

ZLIB_PAGE = """zlib Manual

The possible values are Z_OK, Z_STREAM_END and Z_BUF_ERROR, as returned by deflate(). Call
deflateInit2() before the first call to deflate(), and deflateEnd() when the stream is done. The
windowBits parameter is the base two logarithm of the window size, from 8 to 15. Version 10.1 of
the library reads 0.10 as a level, and 1,000 bytes or v2.3.4 change nothing. The deflate stream
uses 15 bits for the window. See Figure 1 for the layout, and Draft 02 for the history.

The Debian 3 package and the Debian policy manual both document the zlib stream format.
"""


def test_numbers_of_every_shape_have_a_kind() -> None:
    for text in ("10.1", "0.10", "1,000", "v2.3.4", "3.Y+1", "4.6.2.0", "1687", "2026", "02", "64KB", "10TH"):
        assert term_kind(text) in {"year", "number", "code"}
    assert term_kind("1687") == "year" and term_kind("10.1") == "number" and term_kind("Z_OK") == "code"


def test_code_names_are_read_whole_never_as_their_parts() -> None:
    tokens = WORD.findall("Z_OK and deflateInit2() or os.path.join, the 10TH of node:zlib, v2.3.4")
    assert tokens == ["Z_OK", "and", "deflateInit2", "or", "os.path.join", "the", "10TH", "of", "node:zlib", "v2.3.4"]


def test_running_heads_and_page_numbers_are_blanked_with_offsets_kept() -> None:
    material = material_of(DIARY_PAGES)
    furniture = Furniture(material.passages)
    first = [p for p in material.passages if p.char_start == 0]
    for passage in first:
        blanked = furniture.blank(passage)
        assert len(blanked) == len(passage.text)
        assert "VICKSBURG" not in blanked
    last = [p for p in material.passages if p.text.strip().isdigit()]
    assert last and all(not furniture.blank(p).strip() for p in last)


def test_navigation_lines_are_blanked_wherever_they_stand() -> None:
    """An info manual's breadcrumbs ("File: gzip.info, Node: Tapes, Next: Problems, Prev:
    Environment, Up: Top") sit in the middle of a page, one per node; their labels recur, their
    values do not. Blanked, with offsets kept; a line of labels that occurs once is text."""
    nodes = {
        "Overview": "Gzip reduces the size of the named files using Lempel-Ziv coding.",
        "Sample": "Here are some realistic examples of running the program on a shell.",
        "Invoking": "The format for running the gzip program is a list of options and names.",
        "Advanced usage": "Multiple compressed files can be concatenated into a single stream.",
        "Environment": "The obsolescent environment variable holds a set of default options.",
        "Tapes": "When writing compressed data to a tape, pad the last block with zeroes.",
        "Problems": "Send bug reports by electronic mail to the maintainers of the package.",
    }
    names = list(nodes)
    pages = [
        f"{sentence}\n"
        f"File: gzip.info, Node: {node}, Next: {names[(i + 1) % len(names)]}, Prev: {names[i - 1]}, Up: Top\n\n"
        "The compressor replaces each file by one with the extension .gz and keeps its mode."
        for i, (node, sentence) in enumerate(nodes.items())
    ]
    pages.append("Remember: keep backups, Warning: tapes fail, Tip: test them.\nThe rest of the page is prose.")
    material = material_of(pages)
    furniture = Furniture(material.passages)
    for passage in material.passages:
        blanked = furniture.blank(passage)
        assert len(blanked) == len(passage.text)
        assert "Node:" not in blanked and "Prev:" not in blanked
        assert passage.text.splitlines()[0] in blanked  # the prose before it stays
    last = next(p for p in material.passages if "Remember" in p.text)
    assert "Remember: keep backups" in furniture.blank(last)  # once is not navigation
    keys = {term.key for term in material.terms[1]}
    assert not keys & {"prev", "node", "gzip.info", "up"}


def test_a_running_head_makes_no_term_and_no_question() -> None:
    material = material_of(DIARY_PAGES)
    keys = {term.key for term in material.terms[1]}
    assert not keys & {"siege of vicksburg", "vicksburg", "june", "th", "op"}
    result = generate(material, QuizSpec(num_questions=10, question_types=tuple(QuestionType), seed=3))
    assert result.errors == [] and result.questions
    for question in result.questions:
        text = " ".join([question.prompt, *question.options])
        assert "VICKSBURG" not in text and "JUNE" not in text, text
        assert not question.prompt.split(":", 1)[-1].strip().startswith("however")


@pytest.mark.parametrize("seed", range(6))
def test_blanks_are_concepts_not_generic_words_labels_or_bare_numbers(seed: int) -> None:
    material = material_of([ZLIB_PAGE, ZLIB_PAGE.replace("zlib Manual", "zlib Manual, part two")])
    result = generate(material, QuizSpec(num_questions=8, question_types=(QuestionType.FILL_IN_THE_BLANK, QuestionType.MULTIPLE_CHOICE), seed=seed))
    assert result.errors == []
    for question in result.questions:
        assert question.answer.casefold() not in {"values", "possible values", "1", "02", "10.1", "0.10", "data"}, question.prompt
        assert f"Figure {BLANK}" not in question.prompt and f"Draft {BLANK}" not in question.prompt
        if question.answer.isdigit():
            after = question.prompt.split(BLANK, 1)[1].split()
            assert after and after[0].isalpha(), question.prompt  # it says what it counts: "_____ bits"


@pytest.mark.parametrize("seed", range(8))
def test_false_statements_swap_in_whole_terms_of_the_same_kind(seed: int) -> None:
    material = material_of([ZLIB_PAGE, *DIARY_PAGES])
    tokens = {t.casefold() for p in material.passages for t in WORD.findall(p.text)}
    result = generate(material, QuizSpec(num_questions=10, question_types=(QuestionType.TRUE_FALSE,), seed=seed))
    for question in result.questions:
        statement = question.prompt.removeprefix("True or false: ")
        assert all(t.casefold() in tokens for t in WORD.findall(statement)), statement  # nothing glued: no "Debian3"


def test_options_are_of_the_answers_kind() -> None:
    material = material_of([ZLIB_PAGE, *DIARY_PAGES])
    kinds = {term.key: term.kind for term in material.terms[1]}
    for seed in range(10):
        result = generate(material, QuizSpec(num_questions=6, question_types=(QuestionType.MULTIPLE_CHOICE,), seed=seed))
        for question in result.questions:
            assert len({kinds.get(option.casefold()) for option in question.options}) == 1, question.options


def test_a_sentence_that_points_back_comes_with_its_lead_or_not_at_all() -> None:
    page = (
        "The licence covers every program released under it by the foundation. The work thus licensed is called "
        "the Program by the licence text. Copyleft is the rule that modified versions must carry the same licence. "
        "It applies to every copy that a licensee distributes to the public.\n\n"
    )
    material = material_of([page * 1, page.replace("foundation", "society")])
    result = generate(material, QuizSpec(num_questions=6, question_types=tuple(QuestionType), seed=1))
    for question in result.questions:
        body = question.prompt.split("? ", 1)[-1].split(": ", 1)[-1]
        assert not body.startswith(("The work thus", "It applies", "What is the work thus")), question.prompt


def test_key_terms_total_over_real_shapes() -> None:
    passages = [Passage(chunk_id=None, document_id=1, page_number=1, char_start=0, char_end=len(ZLIB_PAGE), text=ZLIB_PAGE)]
    terms = {term.key: term for term in key_terms(passages)}
    assert terms["z_ok"].kind == "code"
    assert "values" not in terms and "ok" not in terms
