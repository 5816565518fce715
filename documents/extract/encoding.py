"""Deciding whether bytes are text, and in which encoding."""

from __future__ import annotations

import codecs

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# charset-normalizer, left to choose among every codec it knows, picks exotic ones
# for short Western text (cp775 for English with curly quotes, cp1257 for French).
# So it chooses among the encodings people's files are actually in, and ties go to
# the earlier one in this list.
_LEGACY_ENCODINGS = [
    "cp1252", "cp1250", "cp1251", "koi8_r", "cp1253", "cp1254", "cp1255", "cp1256",
    "cp1257", "cp1258", "iso8859_15", "mac_roman", "cp932", "euc_jp", "gb18030",
    "big5", "euc_kr",
]  # fmt: skip
# How much more "chaos" (mess) than the cleanest candidate a candidate may show
# and still win on language coherence; and how messy text may be at all (the
# library's default, 0.2, refuses dense Polish such as "Zażółć gęślą jaźń").
_RANK = {name: rank for rank, name in enumerate(_LEGACY_ENCODINGS)}
_CHAOS_MARGIN = 0.05
_CHAOS_THRESHOLD = 0.3
# A messier candidate wins only with clearly better language coherence: short French in
# Latin-1 reads a little more "coherent" as Mac Roman (é → È) than as cp1252.
_COHERENCE_GAIN = 0.1


def detect_encoding(data: bytes, *, partial: bool = False, declared: str | None = None) -> str | None:
    """The encoding of ``data``, or None if it does not look like text.

    ``partial`` means ``data`` is a prefix of the file, possibly cut inside a
    character. A BOM wins, then UTF-8 (checked strictly: most files are UTF-8 and
    valid UTF-8 is very rarely anything else, whatever a page declares), then the
    ``declared`` encoding if Python knows it, then the best legacy encoding.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    if _is_utf8(data, partial=partial):
        return "utf-8"
    if b"\x00" in data:  # NUL never occurs in 8-bit text: this is binary
        return None
    if declared:
        return declared
    matches = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_ENCODINGS, threshold=_CHAOS_THRESHOLD)
    if not matches:
        return None
    cleanest = min(match.chaos for match in matches)
    near = [match for match in matches if match.chaos <= cleanest + _CHAOS_MARGIN]
    clean_coherence = max(match.coherence for match in near if match.chaos == cleanest)
    best = max(
        near,
        key=lambda m: (
            m.chaos == cleanest or m.coherence >= clean_coherence + _COHERENCE_GAIN,
            round(m.coherence, 2),
            -_RANK.get(m.encoding, len(_RANK)),
        ),
    )
    return best.encoding


def _is_utf8(data: bytes, *, partial: bool) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=not partial)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


def decode(data: bytes, encoding: str, *, partial: bool = False) -> str:
    """Decode, replacing undecodable bytes; a character cut at the end of a
    ``partial`` prefix is dropped rather than turned into U+FFFD."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data, final=not partial)
