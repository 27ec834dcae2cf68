"""What kind of file an upload is: spreadsheet or text, which encoding, which delimiter.

Decided from the first bytes and a bounded sample (never the whole file),
so a file larger than memory can be read: the content decides, not the
extension (an .xlsx renamed .csv is still a spreadsheet).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from charset_normalizer import from_bytes

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Bytes below 0x20 that text files do contain: tab, newlines, form feed, Ctrl-Z (DOS end).
_TEXT_CONTROLS = frozenset(b"\t\n\r\x0c\x1a")
_SEP_LINE = re.compile(r"sep=(.)\r?\n?", re.IGNORECASE)
FALLBACK_ERRORS = "leadloop-import-fallback"


class ReadError(ValueError):
    """The file cannot be read as a lead list; the message says why and what to do."""


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    """Bytes the detected encoding cannot decode are read as Windows-1252.

    A file can be UTF-8 for its first 256 KiB (all the sample sees) and have
    one row typed on a Windows machine further down: that row gets its
    umlauts back instead of stopping the import.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(_CP1252[b] for b in exc.object[exc.start : exc.end]), exc.end


# Windows-1252 with its five unassigned bytes read as Latin-1 (so no byte is lost).
_CP1252 = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


codecs.register_error(FALLBACK_ERRORS, _fallback)


def detect_format(path: Path, head: bytes) -> str:
    """'xlsx', 'ods', 'xls' or 'csv', from the file's first bytes (and a zip's contents)."""
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, KeyError) as exc:
            raise ReadError(
                "The file is a damaged zip archive (or spreadsheet); open it in your "
                "spreadsheet program, save it again and upload that copy."
            ) from exc
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if any(name.startswith("xl/") for name in names):
            return "xlsb" if "xl/workbook.bin" in names else "xlsx"
        raise ReadError(
            "The file is a zip archive, not a spreadsheet; upload the CSV or XLSX file itself."
        )
    if head.startswith(OLE_MAGIC):
        # An old .xls, or an encrypted .xlsx (Office wraps those in the same container).
        return "xls"
    return "csv"


def _looks_utf16(sample: bytes) -> str | None:
    """'utf-16-le'/'-be' for UTF-16 text without a byte-order mark (NUL in every other byte)."""
    head = sample[:4096]
    half = max(len(head) // 2, 1)
    even = head[0::2].count(0) / half
    odd = head[1::2].count(0) / half
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def _latin_letters(text: str) -> int:
    """How many non-ASCII characters of `text` are letters (a sign of the right code page)."""
    return sum(1 if unicodedata.category(c).startswith("L") else -1 for c in text if ord(c) > 127)


def detect_encoding(sample: bytes) -> tuple[str, str]:
    """(Python codec, name to show) for a text file's sample; ReadError for a binary file.

    A byte-order mark decides first; then UTF-8 if the sample decodes as
    UTF-8; then charset-normalizer. It cannot tell Western code pages apart
    on a short sample (French comes back as cp1250, with č for è), so when it
    answers with a Latin-script code page we take Windows-1252 (a superset of
    Latin-1's letters, what Excel writes on Western Windows) unless Central
    European cp1250 or the detector's page reads more of the sample as
    letters (Polish ł ś ż are symbols in cp1252).
    """
    if sample.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32", "utf-32"
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16-le" if sample.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    if b"\x00" in sample:
        utf16 = _looks_utf16(sample)
        if utf16:
            return utf16, utf16
        raise ReadError(
            "The file is not text (it contains NUL bytes): upload a CSV file or a "
            "spreadsheet (XLSX, XLS, ODS)."
        )
    controls = sum(1 for b in sample[:65536] if b < 0x20 and b not in _TEXT_CONTROLS)
    if controls > len(sample[:65536]) // 200:
        raise ReadError(
            "The file is not text (it is full of control bytes): upload a CSV file or a "
            "spreadsheet (XLSX, XLS, ODS)."
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", "utf-8"
    best = from_bytes(sample).best()
    if best is None:
        raise ReadError(
            "The file's text encoding cannot be recognised: save it as CSV UTF-8 "
            "(Excel: Save As > CSV UTF-8) and upload it again."
        )
    guess = best.encoding
    decoded = sample.decode(guess, errors="replace")
    latin = [c for c in decoded if ord(c) > 127 and c.isalpha()]
    if latin and sum("LATIN" in unicodedata.name(c, "") for c in latin) * 2 < len(latin):
        return guess, guess  # Cyrillic, Greek, Asian: trust the detector
    best_codec, best_letters = "cp1252", _latin_letters(sample.decode("cp1252", errors="replace"))
    for codec in ("cp1250", guess):
        letters = _latin_letters(sample.decode(codec, errors="replace"))
        if letters > best_letters:
            best_codec, best_letters = codec, letters
    return best_codec, best_codec


def decode_sample(sample: bytes, codec: str) -> str:
    """The sample as text, without a character cut in half at its end."""
    decoder = codecs.getincrementaldecoder(codec)(errors=FALLBACK_ERRORS)
    return decoder.decode(sample, final=False)


def excel_separator(text: str) -> str | None:
    """The delimiter named by Excel's 'sep=;' first line, if the file starts with one."""
    match = _SEP_LINE.match(text)
    return (
        match.group(1) if match and text[: match.end()].strip() == match.group(0).strip() else None
    )


def sniff_delimiter(text: str, *, truncated: bool) -> str:
    """The delimiter that splits the first records into the most fields, most consistently.

    Each candidate parses the sample with the csv module (so delimiters
    inside quotes do not count); the score is the most common field count
    times the share of records that have it. csv.Sniffer guesses from
    character frequencies and fails on short or quoted files; this does not.
    A file with one column has no delimiter to find: ','.
    """
    text = text[:65536]
    if truncated and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        counts: list[int] = []
        try:
            for record in reader:
                if any(cell.strip() for cell in record):
                    counts.append(len(record))
                if len(counts) >= 100:
                    break
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=lambda n: (counts.count(n), n))
        if mode < 2:
            continue
        score = mode * counts.count(mode) / len(counts)
        if score > best_score:
            best, best_score = delimiter, score
    return best
