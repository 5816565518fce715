"""documents.extract: sniffing, per-format extraction, limits and isolation.

Every file is built here, with the libraries that write those formats (fpdf2,
python-docx, zipfile), so the tests read real documents. No Django is needed.
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.queues
import os
import random
import resource
import signal
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
import fpdf
import pytest
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement

from documents.extract import (
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    SNIFF_BYTES,
    TEXT,
    ErrorCode,
    ExtractionError,
    ExtractionLimits,
    UnsupportedFileType,
    extract,
    extract_isolated,
    make_safe_filename,
    sniff,
    sniff_file,
)
from documents.extract.isolation import _death_error
from documents.extract.pages import normalize_text

MiB = 1024 * 1024

# ---------------------------------------------------------------- builders


def make_pdf(pages: list[str], **encryption: str) -> bytes:
    pdf = fpdf.FPDF()
    pdf.set_font("helvetica", size=12)
    if encryption:
        pdf.set_encryption(**encryption)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def ten_page_pdf() -> bytes:
    return make_pdf(
        [
            f"Page {n} covers cell biology. " + ("The unique phrase is zebra mitochondria." if n == 7 else "")
            for n in range(1, 11)
        ]
    )


def flate_bomb_pdf(inflated_bytes: int) -> bytes:
    """A one-page PDF whose content stream is a little text then zeros (PDF
    whitespace), compressed about 1000:1, built in 1 MiB steps to stay light."""
    compressor = zlib.compressobj(9)
    chunk = bytes(MiB)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 720 Td (Hello bomb) Tj ET\n")]
    parts += [compressor.compress(chunk) for _ in range(inflated_bytes // MiB)]
    parts.append(compressor.flush())
    return raw_pdf(b"".join(parts), b"/Filter /FlateDecode")


def raw_pdf(content: bytes, stream_filter: bytes = b"") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(content), stream_filter, content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def docx_bytes(build: Callable[[docx.document.Document], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def study_docx(document: docx.document.Document) -> None:
    document.add_heading("Cell biology", level=1)
    document.add_paragraph("Cells are the basic unit of life.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Organelle"
    table.cell(0, 1).text = "Role"
    table.cell(1, 0).text = "Mitochondria"
    table.cell(1, 1).text = "Powerhouse of the cell"
    document.add_paragraph("After the table comes the summary.")


def rezip(data: bytes, extra: Callable[[zipfile.ZipFile], None] = lambda _: None, drop: str = "") -> bytes:
    """The package ``data`` rewritten without member ``drop``, plus what ``extra`` writes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != drop:
                target.writestr(info, source.read(info))
        extra(target)
    return out.getvalue()


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, bytes | str], Path]:
    def write(name: str, data: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    return write


@pytest.fixture(scope="module")
def bomb_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.pdf"
    path.write_bytes(flate_bomb_pdf(256 * MiB))  # ~260 KB on disk
    return path


def error_of(call: Callable[[], object]) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        call()
    return caught.value


def extraction_children() -> list[int]:
    """Processes of the extraction child still around under this process."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if f"\nPPid:\t{os.getpid()}\n" in status and b"documents.extract.child" in cmdline:
            found.append(int(entry.name))
    return found


# ---------------------------------------------------------------- PDF


def test_pdf_text_is_on_its_page(write):
    result = extract(write("bio.pdf", ten_page_pdf()), PDF)
    assert result.content_type == PDF
    assert result.page_count == 10
    assert [page.number for page in result.pages] == list(range(1, 11))
    assert [page.number for page in result.pages if "zebra mitochondria" in page.text] == [7]
    assert result.truncated_at_page is None
    assert result.word_count == len(result.text.split())
    assert result.char_count == sum(len(page.text) for page in result.pages)


def test_isolated_pdf_matches_in_process_and_reports_progress_in_order(write):
    path = write("bio.pdf", ten_page_pdf())
    progress: list[tuple[int, int | None]] = []
    isolated = extract_isolated(path, PDF, on_page=lambda number, total: progress.append((number, total)))
    assert progress == [(n, 10) for n in range(1, 11)]
    assert isolated == extract(path, PDF)


def test_isolated_child_runs_from_any_working_directory(write, tmp_path, monkeypatch):
    path = write("bio.pdf", ten_page_pdf())
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    assert extract_isolated(path.name, PDF).page_count == 10  # a relative path, too


def _extract_in_daemon(path: Path, results: multiprocessing.queues.Queue[object]) -> None:
    try:
        results.put(extract_isolated(path, PDF).page_count)
    except BaseException as exc:  # reported to the test rather than lost with the process
        results.put(repr(exc))


def test_isolated_extraction_works_inside_a_daemonic_process(write):
    # A Celery prefork worker's children are daemonic: multiprocessing could not start a child there.
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    daemon = context.Process(target=_extract_in_daemon, args=(write("bio.pdf", ten_page_pdf()), results), daemon=True)
    daemon.start()
    try:
        assert results.get(timeout=30) == 10
    finally:
        daemon.join(timeout=10)


def test_page_cap_stops_and_says_where(write):
    result = extract(write("bio.pdf", ten_page_pdf()), PDF, ExtractionLimits(max_pages=3))
    assert [page.number for page in result.pages] == [1, 2, 3]
    assert result.page_count == 10
    assert result.truncated_at_page == 3


def test_char_cap_cuts_at_a_word(write):
    path = write("bio.pdf", make_pdf(["alpha beta gamma delta epsilon", "zeta eta theta"]))
    result = extract(path, PDF, ExtractionLimits(max_chars=13))
    assert [page.text for page in result.pages] == ["alpha beta"]
    assert result.truncated_at_page == 1


def test_encrypted_pdf_is_refused(write):
    path = write("secret.pdf", make_pdf(["secret notes"], owner_password="owner", user_password="user"))
    error = error_of(lambda: extract(path, PDF))
    assert (error.code, error.permanent) == (ErrorCode.ENCRYPTED, True)
    assert "password" in error.message


def test_pdf_with_only_an_owner_password_opens(write):
    path = write("restricted.pdf", make_pdf(["printable notes"], owner_password="owner"))
    assert "printable notes" in extract(path, PDF).text


def test_truncated_pdf_is_refused(write):
    data = ten_page_pdf()
    path = write("half.pdf", data[: len(data) // 2])
    assert error_of(lambda: extract(path, PDF)).code == ErrorCode.TRUNCATED
    assert error_of(lambda: extract_isolated(path, PDF)).code == ErrorCode.TRUNCATED


@pytest.mark.parametrize("ending", [b"", b"\n%%EOF\n"])
def test_garbage_after_pdf_signature_is_corrupt(write, ending):
    path = write("junk.pdf", b"%PDF-1.7\n" + random.Random(7).randbytes(4096) + ending)
    assert error_of(lambda: extract(path, PDF)).code == ErrorCode.CORRUPT


def test_pdf_without_text_is_refused(write):
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    path = write("drawing.pdf", bytes(pdf.output()))
    assert error_of(lambda: extract(path, PDF)).code == ErrorCode.NO_TEXT
    assert error_of(lambda: extract_isolated(path, PDF)).code == ErrorCode.NO_TEXT


def test_flate_bomb_is_refused_before_it_inflates(bomb_pdf):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    error = error_of(lambda: extract(bomb_pdf, PDF, ExtractionLimits(max_decompressed_bytes=32 * MiB)))
    assert (error.code, error.permanent) == (ErrorCode.TOO_LARGE, True)
    # PDFium would have needed over 256 MiB; the check inflates 1 MiB at a time.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - peak_before < 64 * MiB


def test_flate_bomb_within_budget_runs_out_of_memory_in_the_child_only(bomb_pdf, write):
    limits = ExtractionLimits(max_decompressed_bytes=4096 * MiB, max_memory_bytes=192 * MiB)
    error = error_of(lambda: extract_isolated(bomb_pdf, PDF, limits))  # PDFium aborts in the child
    assert (error.code, error.permanent) == (ErrorCode.OUT_OF_MEMORY, True)
    assert extraction_children() == []
    assert extract_isolated(write("bio.pdf", ten_page_pdf()), PDF).page_count == 10  # the parent goes on


def test_tiny_memory_limit_is_out_of_memory(write):
    path = write("bio.pdf", ten_page_pdf())
    error = error_of(lambda: extract_isolated(path, PDF, ExtractionLimits(max_memory_bytes=32 * MiB)))
    assert error.code == ErrorCode.OUT_OF_MEMORY


def test_isolated_timeout_kills_the_child(write):
    path = write("bio.pdf", ten_page_pdf())
    error = error_of(lambda: extract_isolated(path, PDF, ExtractionLimits(timeout_seconds=0.05)))
    assert (error.code, error.permanent) == (ErrorCode.TIMEOUT, True)
    assert extraction_children() == []


def test_in_process_timeout_is_checked_between_pages(write):
    path = write("bio.pdf", ten_page_pdf())
    assert error_of(lambda: extract(path, PDF, ExtractionLimits(timeout_seconds=1e-9))).code == ErrorCode.TIMEOUT


def test_failing_progress_callback_stops_the_child(write):
    def on_page(number: int, total: int | None) -> None:
        raise KeyboardInterrupt  # what a Celery soft time limit looks like to this code

    with pytest.raises(KeyboardInterrupt):
        extract_isolated(write("bio.pdf", ten_page_pdf()), PDF, on_page=on_page)
    assert extraction_children() == []


@pytest.mark.parametrize(
    ("exit_code", "peak_rss", "stderr", "code", "permanent"),
    [
        (-signal.SIGABRT, 200 * MiB, "", ErrorCode.OUT_OF_MEMORY, True),  # PDFium failing to allocate
        (-signal.SIGKILL, 10 * MiB, "", ErrorCode.OUT_OF_MEMORY, True),  # the kernel's OOM killer
        (-signal.SIGXCPU, 10 * MiB, "", ErrorCode.TIMEOUT, True),
        (1, 10 * MiB, "Traceback ...\nMemoryError\n", ErrorCode.OUT_OF_MEMORY, True),
        (-signal.SIGSEGV, 10 * MiB, "", ErrorCode.CRASHED, False),
        (1, 10 * MiB, "Traceback ...\nValueError\n", ErrorCode.CRASHED, False),
    ],
)
def test_how_a_dead_child_is_explained(exit_code, peak_rss, stderr, code, permanent):
    error = _death_error(exit_code, peak_rss, ExtractionLimits(max_memory_bytes=256 * MiB), stderr)
    assert (error.code, error.permanent) == (code, permanent)


# ---------------------------------------------------------------- DOCX


def test_docx_paragraphs_and_tables_in_document_order(write):
    result = extract(write("bio.docx", docx_bytes(study_docx)), DOCX)
    text = result.text
    assert "Organelle | Role\nMitochondria | Powerhouse of the cell" in text
    assert text.index("basic unit of life") < text.index("Mitochondria") < text.index("summary")
    assert result.page_count == 1


def test_docx_merged_cells_are_read_once(write):
    def build(document):
        table = document.add_table(rows=1, cols=3)
        merged = table.cell(0, 0).merge(table.cell(0, 1))
        merged.text = "Photosynthesis"
        table.cell(0, 2).text = "Chloroplast"

    assert extract(write("merged.docx", docx_bytes(build)), DOCX).text == "Photosynthesis | Chloroplast"


def test_docx_hard_page_breaks_start_pages(write):
    def build(document):
        document.add_paragraph("Chapter one text.")
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph("Chapter two text.")

    result = extract(write("chapters.docx", docx_bytes(build)), DOCX)
    assert [page.text for page in result.pages] == ["Chapter one text.", "Chapter two text."]


def test_docx_follows_words_own_page_layout_when_recorded(write):
    def build(document):
        document.add_paragraph("First page.")
        # Word records where it broke pages; a hard break is recorded there too.
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        second = document.add_paragraph()
        second.add_run()._r.append(OxmlElement("w:lastRenderedPageBreak"))
        second.add_run("Second page starts")
        second.add_run()._r.append(OxmlElement("w:lastRenderedPageBreak"))
        second.add_run(" and flows onto a third.")

    result = extract(write("laid-out.docx", docx_bytes(build)), DOCX)
    assert [page.text for page in result.pages] == ["First page.", "Second page starts", "and flows onto a third."]


def test_docx_zip_bomb_is_refused_from_its_directory(write):
    def bomb(package: zipfile.ZipFile) -> None:
        with package.open("word/media/zeros.bin", "w") as member:
            for _ in range(200):
                member.write(bytes(MiB))

    path = write("bomb.docx", rezip(docx_bytes(study_docx), bomb))
    assert path.stat().st_size < 2 * MiB
    error = error_of(lambda: extract(path, DOCX))
    assert (error.code, error.permanent) == (ErrorCode.ZIP_BOMB, True)
    assert "zeros.bin" in error.message


def test_docx_over_the_unpacked_budget_is_too_large(write):
    path = write("bio.docx", docx_bytes(study_docx))
    assert error_of(lambda: extract(path, DOCX, ExtractionLimits(max_decompressed_bytes=10_000))).code == (
        ErrorCode.TOO_LARGE
    )


def test_docx_member_lying_about_its_size_is_an_error_not_a_flood(write):
    data = bytearray(docx_bytes(study_docx))
    name = b"word/document.xml"
    # Claim, in both of the zip's headers, that word/document.xml inflates to 100 bytes.
    for signature, name_offset, size_offset in ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24)):
        start = data.find(signature)
        while start != -1:
            if data[start + name_offset : start + name_offset + len(name)] == name:
                struct.pack_into("<I", data, start + size_offset, 100)
            start = data.find(signature, start + 4)
    assert error_of(lambda: extract(write("liar.docx", bytes(data)), DOCX)).code == ErrorCode.CORRUPT


def test_zip_without_word_document_is_unsupported(write):
    path = write("fake.docx", rezip(docx_bytes(study_docx), drop="word/document.xml"))
    assert isinstance(error_of(lambda: extract(path, DOCX)), UnsupportedFileType)


def test_docx_with_broken_xml_is_corrupt(write):
    def broken(package: zipfile.ZipFile) -> None:
        package.writestr("word/document.xml", "<w:document><unclosed>")

    path = write("broken.docx", rezip(docx_bytes(study_docx), broken, drop="word/document.xml"))
    assert error_of(lambda: extract(path, DOCX)).code == ErrorCode.CORRUPT


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-16", b""), ("cp1252", b""), ("latin-1", b""), ("utf-8", b"\xef\xbb\xbf")],
)
def test_text_encodings_are_detected(write, encoding, prefix):
    text = (
        "Café crème brûlée: the naïve élève’s “notes” — €5.\n"
        if encoding == "cp1252"
        else ("Café crème brûlée: the naïve élève's résumé of São Paulo.\n")
    )
    path = write("notes.txt", prefix + (text * 3).encode(encoding))
    assert extract(path, TEXT).text == normalize_text(text * 3)


def test_form_feeds_are_pages(write):
    result = extract(write("book.txt", "Page one.\fPage two.\n\fPage three.\f"), TEXT)
    assert [(page.number, page.text) for page in result.pages] == [
        (1, "Page one."),
        (2, "Page two."),
        (3, "Page three."),
    ]


def test_long_text_is_cut_into_page_sized_sections_at_paragraphs(write):
    paragraphs = [f"Paragraph {n}. " + "word " * 150 for n in range(40)]
    result = extract(write("long.txt", "\n\n".join(paragraphs)), TEXT)
    assert result.page_count > 5
    assert all(len(page.text) <= 3000 for page in result.pages)
    assert all(page.text.startswith("Paragraph") for page in result.pages)
    assert result.word_count == sum(len(paragraph.split()) for paragraph in paragraphs)


def test_text_char_cap_reads_only_what_it_needs(write):
    path = write("big.txt", "lorem ipsum " * 100_000)
    result = extract(path, TEXT, ExtractionLimits(max_chars=1000))
    assert result.char_count <= 1000
    assert result.truncated_at_page == 1


def test_whitespace_is_normalised():
    raw = "Title\r\n\r\n\r\n\tIndented   text\x00 with\u00a0nbsp \r\nnext line\u200b.\n\n\n\nEnd"
    assert normalize_text(raw) == "Title\n\nIndented text with nbsp\nnext line.\n\nEnd"


def test_empty_text_has_no_text(write):
    assert error_of(lambda: extract(write("blank.txt", "  \n\n \t"), TEXT)).code == ErrorCode.NO_TEXT


# ---------------------------------------------------------------- Markdown


MARKDOWN_SOURCE = """# Biology notes

An *introduction* with a [link](https://example.org) and `inline code`.

## Cells

Cells have **membranes** &amp; organelles.
![A diagram of a cell](cell.png)

| Organelle | Role |
|-----------|------|
| Nucleus   | DNA  |

## Energy

<div class="note">Mitochondria <b>make</b> ATP.</div>

```python
print("kept as written")
```
"""


def test_markdown_loses_markup_and_splits_at_headings(write):
    result = extract(write("notes.md", MARKDOWN_SOURCE), MARKDOWN)
    assert [page.text.splitlines()[0] for page in result.pages] == ["Biology notes", "Cells", "Energy"]
    intro, cells, energy = (page.text for page in result.pages)
    assert "An introduction with a link and inline code." in intro
    assert "Cells have membranes & organelles. A diagram of a cell" in cells
    assert "Organelle | Role\nNucleus | DNA" in cells
    assert "Mitochondria make ATP." in energy
    assert 'print("kept as written")' in energy
    assert not any(mark in result.text for mark in ("**", "](", "<b>", "```", "|---"))


# ---------------------------------------------------------------- HTML


def test_html_readable_text_without_code(write):
    page = """<!DOCTYPE html><html><head><title>Ignored title</title><style>p {color: red}</style></head>
    <body><script>alert("no")</script><noscript>Enable JS</noscript><template><p>hidden</p></template>
    <h1>Photosynthesis</h1><p>Plants   turn light
    into <em>sugar</em> &amp; oxygen.</p><!-- a comment -->
    <ul><li>Light reactions</li><li>Calvin cycle</li></ul>
    <table><tr><th>Input</th><th>Output</th></tr><tr><td>CO2</td><td>Glucose</td></tr></table>
    <pre>line one
    line two</pre></body></html>"""
    result = extract(write("page.html", page), HTML)
    assert result.text == (
        "Photosynthesis\n\nPlants turn light into sugar & oxygen.\n\nLight reactions\nCalvin cycle"
        "\n\nInput | Output\nCO2 | Glucose\n\nline one\nline two"
    )


def test_html_declared_charset_is_used(write):
    page = '<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9 \x93quoted\x94</p></body></html>'
    assert extract(write("old.htm", page.encode("latin-1")), HTML).text == "Café “quoted”"


# ---------------------------------------------------------------- sniffing


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"%PDF-1.7\n...", "notes.pdf", PDF),
        (b"%PDF-1.7\n...", "no extension", PDF),
        (b"# Title\n\ntext", "notes.md", MARKDOWN),
        (b"# Title\n\ntext", "notes.markdown", MARKDOWN),
        (b"# Title\n\ntext", "notes.txt", TEXT),
        (b"plain words", "data.csv", TEXT),
        (b"plain words", "Chapter 1.Intro", TEXT),
        (b"  <!doctype html><p>hi", "saved.txt", HTML),
        (b"<div>raw html in markdown</div>", "notes.md", MARKDOWN),
        (b"just words", "page.html", HTML),
        ("Café".encode("utf-16"), "notes.txt", TEXT),
    ],
)
def test_sniff_decides_by_content(head, name, expected):
    assert sniff(head, name) == expected


def test_sniff_docx_from_whole_file_prefix_and_path(write):
    data = docx_bytes(study_docx)
    assert sniff(data, "bio.docx") == DOCX
    assert sniff(data[:SNIFF_BYTES], "bio.docx") == DOCX  # judged by its first entries
    assert sniff_file(write("bio.docx", data), "bio.docx") == DOCX


@pytest.mark.parametrize(
    ("head", "name", "words"),
    [
        (PNG, "scan.pdf", ["PNG", "image/png"]),
        (rezip(docx_bytes(study_docx), drop="word/document.xml"), "fake.docx", ["zip archive"]),
        (random.Random(1).randbytes(2048), "notes.txt", ["binary"]),
        (b"\x7fELF\x02\x01\x01" + bytes(200), "notes.txt", ["ELF"]),
        (b"%PDF-1.7\n...", "notes.txt", ["PDF document", "text"]),
        (b"plain words", "notes.pdf", ["text", "PDF document"]),
        (b"plain words", "photo.png", ["text", ".png"]),
        (b"%PDF-1.7\n...", "notes.docx", ["PDF document", "Word"]),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "essay.docx", ["old-format", "password-protected"]),
        (b"", "empty.txt", ["empty"]),
    ],
)
def test_sniff_refuses_unsupported_or_mismatched_content(head, name, words):
    with pytest.raises(UnsupportedFileType) as caught:
        sniff(head, name)
    assert caught.value.code == ErrorCode.UNSUPPORTED_TYPE
    assert all(word in caught.value.message for word in words), caught.value.message
    assert name.rsplit("/")[-1] in caught.value.message


def test_unknown_content_type_is_refused(write):
    assert isinstance(error_of(lambda: extract(write("x.bin", b"x"), "image/png")), UnsupportedFileType)


# ---------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("notes.pdf", "notes.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Lecture 1.PDF", "Lecture 1.pdf"),
        ("bad\x00name\x1f.txt", "badname.txt"),
        ("what?*:<>|.md", "what.md"),
        ("Ünïcödé 学习 نص.docx", "Ünïcödé 学习 نص.docx"),
        ("..", "file"),
        ("", "file"),
        ("/uploads/", "file"),
        (".hidden.txt", "hidden.txt"),
        ("CON.txt", "_CON.txt"),
        ("a\u202eevil.txt", "aevil.txt"),
    ],
)
def test_make_safe_filename(name, safe):
    assert make_safe_filename(name) == safe


def test_safe_filename_is_bounded_and_keeps_the_extension():
    safe = make_safe_filename("学" * 400 + ".pdf")
    assert safe.endswith(".pdf")
    assert len(safe.encode()) <= 150
