"""Real files built in the tests: PDFs (fpdf2, pypdf for encryption), DOCX (python-docx), text."""
from __future__ import annotations

import io
import zipfile

import docx
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + b"\x00" * 64


def pdf(pages: list[str]) -> bytes:
    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 6, text)
    return bytes(doc.output())


def numbered_pdf(count: int, marker_page: int | None = None, marker: str = "") -> bytes:
    pages = [f"Page {n} of the study notes. Photosynthesis converts light into chemical energy in plants." for n in range(1, count + 1)]
    if marker_page:
        pages[marker_page - 1] += " " + marker
    return pdf(pages)


def encrypted_pdf(password: str = "secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(["Top secret study notes."]))))
    writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def blank_pdf() -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.rect(20, 20, 50, 50)
    return bytes(doc.output())


def docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(inflated_mb: int = 200) -> bytes:
    """A real DOCX package whose document.xml inflates to `inflated_mb` MB of zeros-like XML."""
    template = zipfile.ZipFile(io.BytesIO(docx_bytes(["harmless"])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in template.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, template.read(item.filename))
        with bomb.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(inflated_mb):
                member.write(chunk)
    return out.getvalue()
