"""The text encoding of a CSV, decided line by line: one encoding for the whole file, or a refusal naming
the first line written in another.

A file that mixes UTF-8 and GBK lines decodes as GB18030 without an error (GB18030 gives a character to
almost any byte pair), and would be stored garbled: 张三 becomes 寮犱笁. So the first line with non-ASCII
bytes decides the encoding, and every later such line must be in it. A line of GBK text is almost never
valid UTF-8, which is what tells the two apart (the same rule as trying strict UTF-8 first).
Lines are split at b"\\n": neither encoding uses that byte inside a character.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from imports.errors import ImportFileError

UTF8 = "utf-8-sig"  # reads UTF-8 with or without a BOM
GB18030 = "gb18030"
ENCODING_NAMES = {UTF8: "UTF-8", GB18030: "GB18030"}


def _line_encoding(line: bytes) -> str | None:
    for encoding in (UTF8, GB18030):
        try:
            line.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


class EncodingScan:
    """Fed the file's bytes in blocks, in order: `encoding` is the file's encoding so far (None while
    every line is ASCII) and `lines` the number of complete lines seen."""

    def __init__(self) -> None:
        self.encoding: str | None = None
        self.lines = 0
        self._partial = b""

    def feed(self, block: bytes, *, final: bool = False) -> None:
        """Check the complete lines of `block` (and, if `final`, the last one); refuse the file at the first
        line in another encoding than the first non-ASCII line's."""
        data = self._partial + block
        end = len(data) if final else data.rfind(b"\n") + 1
        self._partial = data[end:]
        complete = data[:end]
        if not complete:
            return
        if self.encoding in (None, UTF8) and not complete.isascii():
            # The common case at C speed: a whole block of UTF-8 lines.
            try:
                complete.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                self.encoding = UTF8
                self.lines += complete.count(b"\n") + (0 if complete.endswith(b"\n") else 1)
                return
        self._lines(complete.split(b"\n")[: -1 if complete.endswith(b"\n") else None])

    def _lines(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.lines += 1
            if line.isascii():
                continue
            encoding = _line_encoding(line)
            if encoding is not None and self.encoding in (None, encoding):
                self.encoding = encoding
                continue
            raise self._refusal(encoding)

    def _refusal(self, encoding: str | None) -> ImportFileError:
        fields = {"line": self.lines}
        if encoding is None:
            message = _("Line %(line)s is neither UTF-8 nor GB18030 text: save the file as UTF-8 CSV.") % {
                "line": self.lines
            }
        else:
            assert self.encoding is not None
            fields |= {"encoding": ENCODING_NAMES[self.encoding], "line_encoding": ENCODING_NAMES[encoding]}
            message = _(
                "Line %(line)s is %(line_encoding)s text, the lines before it %(encoding)s: the file mixes "
                "two encodings. Save the whole file as UTF-8 CSV and upload it again."
            ) % {"line": self.lines, **fields}
        return ImportFileError("file_encoding", message, fields=fields)
