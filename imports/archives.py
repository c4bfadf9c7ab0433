"""ZIP archives (XLSX workbooks) opened under limits, so that a zip bomb costs a few kilobytes of reading.

`archive_open` reads the end of the archive and its central directory, nothing else, and refuses an
archive whose directory is too large or one of whose members declares an uncompressed size or a
compression ratio above the limits. The archive it returns checks each member again as it is opened,
against the tighter limit of a part read whole into memory (every part but the worksheets, which are
streamed). zipfile never inflates more than a member declares: a stream that holds more fails its CRC.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from imports.errors import ImportFileError

# End of central directory record: signature, then the fields read below; a comment of up to 64 KiB
# may follow it.
_END_SIGNATURE = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")
_END_SEARCH = _END_RECORD.size + 0xFFFF
# Below this size a member's ratio says nothing: a few kilobytes of repeated XML compress 100:1.
_RATIO_FLOOR = 1 << 20


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    member_bytes: int  # any member, streamed or not
    whole_part_bytes: int  # a member read whole into memory: shared strings, styles, the workbook...
    ratio: int  # uncompressed / compressed size of a member above _RATIO_FLOOR
    directory_bytes: int  # the central directory itself
    members: int

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        return cls(
            member_bytes=settings.IMPORT_XLSX_MAX_MEMBER_BYTES,
            whole_part_bytes=settings.IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES,
            ratio=settings.IMPORT_XLSX_MAX_RATIO,
            directory_bytes=settings.IMPORT_XLSX_MAX_DIRECTORY_BYTES,
            members=settings.IMPORT_XLSX_MAX_MEMBERS,
        )


def _refused(message: str, **fields: Any) -> ImportFileError:
    return ImportFileError("file_archive_limit", message, fields=fields)


def _directory_check(file: BinaryIO, limits: ArchiveLimits) -> None:
    """Refuse from the end record alone an archive whose central directory would be costly to read."""
    size = file.seek(0, io.SEEK_END)
    file.seek(max(0, size - _END_SEARCH))
    tail = file.read(_END_SEARCH)
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        raise zipfile.BadZipFile("no end of central directory")
    fields = _END_RECORD.unpack_from(tail, at)
    members, directory_bytes = fields[4], fields[5]  # entries in total, size of the directory
    if members > limits.members or directory_bytes > limits.directory_bytes:
        # A ZIP64 archive says 0xFFFF and 0xFFFFFFFF here: a workbook under the upload limit never is one.
        raise _refused(
            _("The archive holds %(members)s members in a directory of %(bytes)s bytes: more than a "
              "workbook has (limits: %(max_members)s members, %(max_bytes)s bytes).")
            % {"members": members, "bytes": directory_bytes, "max_members": limits.members,
               "max_bytes": limits.directory_bytes},
            members=members,
            directory_bytes=directory_bytes,
        )  # fmt: skip


def _member_check(info: zipfile.ZipInfo, limit: int, ratio: int) -> None:
    if info.file_size > limit:
        raise _refused(
            _("The archive member %(name)s expands to %(size)s bytes; the limit is %(limit)s bytes.")
            % {"name": info.filename, "size": info.file_size, "limit": limit},
            member=info.filename,
            uncompressed_bytes=info.file_size,
            limit=limit,
        )
    if info.file_size > _RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
        raise _refused(
            _("The archive member %(name)s expands %(ratio)s times (%(compressed)s bytes to %(size)s): "
              "more than %(limit)s times is refused as a zip bomb.")
            % {"name": info.filename, "ratio": info.file_size // max(info.compress_size, 1),
               "compressed": info.compress_size, "size": info.file_size, "limit": ratio},
            member=info.filename,
            compressed_bytes=info.compress_size,
            uncompressed_bytes=info.file_size,
            limit=ratio,
        )  # fmt: skip


class GuardedArchive(zipfile.ZipFile):
    """A ZipFile whose members are inflated under `limits`. Members named in `streamed` (the worksheets,
    read row by row) may reach `member_bytes`; any other is read whole and may reach `whole_part_bytes`."""

    def __init__(self, file: BinaryIO, limits: ArchiveLimits) -> None:
        super().__init__(file)
        self.limits = limits
        self.streamed: set[str] = set()

    def open(self, name: Any, mode: str = "r", pwd: bytes | None = None, **kwargs: Any) -> IO[bytes]:  # type: ignore[override]
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        limit = self.limits.member_bytes if info.filename in self.streamed else self.limits.whole_part_bytes
        _member_check(info, limit, self.limits.ratio)  # before a byte of it is read
        # zipfile inflates no more than the declared size, and fails the CRC of a member whose stream
        # holds more (BadZipFile): the declared size checked here bounds the bytes actually inflated.
        return super().open(info, mode, pwd, **kwargs)


def archive_open(file: BinaryIO, limits: ArchiveLimits | None = None) -> GuardedArchive:
    """Open a ZIP archive after checking its directory and every member's declared sizes (`BadZipFile`
    when it is no archive, `ImportFileError` file_archive_limit when a limit is passed)."""
    limits = limits or ArchiveLimits.from_settings()
    _directory_check(file, limits)
    archive = GuardedArchive(file, limits)
    for info in archive.infolist():
        _member_check(info, limits.member_bytes, limits.ratio)
    return archive
