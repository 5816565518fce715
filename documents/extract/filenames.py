"""Turning an uploaded file's name into one that is safe to store and show."""

from __future__ import annotations

import re
import unicodedata

#: Filesystems allow 255 bytes per name; this leaves room for a storage suffix.
MAX_FILENAME_BYTES = 150

_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_KEEP_PUNCTUATION = frozenset(" -_.()")
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, bidi overrides, zero-width
_RUNS = re.compile(r"\s+|_{2,}")
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)}
)


def split_extension(name: str) -> tuple[str, str]:
    """(stem, extension with its dot) of the last path component; a name that
    only starts with a dot (".bashrc") has no extension."""
    base = re.split(r"[/\\]", name)[-1]
    match = _EXTENSION.search(base)
    if match is None or match.start() == 0:
        return base, ""
    return base[: match.start()], match.group()


def make_safe_filename(name: str) -> str:
    """A file name without directories, controls or odd characters.

    Letters and digits of any script are kept; other characters become "_". The
    extension is kept (lower-cased), the result is at most MAX_FILENAME_BYTES of
    UTF-8, never hidden (no leading dot), never a Windows device name, never empty.
    """
    stem, extension = split_extension(unicodedata.normalize("NFC", name))
    cleaned = "".join(_clean_char(char) for char in stem)
    cleaned = _RUNS.sub(lambda match: match.group()[0], cleaned).strip(" ._-")
    if cleaned.upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    extension = extension.lower()
    budget = MAX_FILENAME_BYTES - len(extension)
    cleaned = cleaned.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" ._-")
    return (cleaned or "file") + extension


def _clean_char(char: str) -> str:
    category = unicodedata.category(char)
    if category in _INVISIBLE:
        return ""
    if category[0] in "LNM" or char in _KEEP_PUNCTUATION:  # letters, numbers, combining marks
        return char
    return " " if category[0] == "Z" else "_"
