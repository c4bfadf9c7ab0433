"""Uploaded files at rest: encrypted with AES-256-GCM in chunks, mode 0600, under MEDIA_ROOT/imports.

An upload holds full ID numbers, so its plain text never reaches the disk of the storage: it is
encrypted as it is received, while it is hashed. The format is seekable, so a job (or an XLSX's ZIP
reader) reads the plain text back from any offset without a decrypted copy:

    magic (8) | key id (4) | nonce prefix (8) | chunk 0 | chunk 1 | ... | last chunk

Each chunk is CHUNK bytes of plain text (the last one fewer, possibly none) sealed with the nonce
`prefix + chunk number` and, as associated data, the header and whether it is the last chunk: a chunk
moved, dropped or cut off fails to decrypt, and so does a file cut after a whole chunk.
Keys: IMPORT_FILE_ENCRYPTION_KEYS, the first encrypts, each decrypts the files that name its id (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import secrets
import shutil
import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile

MAGIC = b"SIUPLD01"
CHUNK = 64 * 1024
_TAG = 16
_HEADER = struct.Struct("<8s4s8s")
_LAST, _NOT_LAST = b"\x01", b"\x00"
DIRECTORY = "imports"


class StoredFileError(Exception):
    """A stored upload that does not decrypt: altered, cut off, or sealed with a key no longer held."""


@cache
def _keys() -> dict[bytes, AESGCM]:
    keys = {}
    for encoded in settings.IMPORT_FILE_ENCRYPTION_KEYS:
        key = base64.urlsafe_b64decode(encoded)
        keys[hashlib.sha256(key).digest()[:4]] = AESGCM(key)
    return keys


def _nonce(prefix: bytes, number: int) -> bytes:
    return prefix + struct.pack(">I", number)


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A stored upload, by its name relative to MEDIA_ROOT (what ImportJob.file holds)."""

    name: str

    @property
    def path(self) -> Path:
        return Path(settings.MEDIA_ROOT) / self.name

    def open(self) -> BinaryIO:
        """The plain text, as a seekable binary file."""
        return io.BufferedReader(_DecryptingReader(self.path.open("rb")), buffer_size=CHUNK)

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)

    def copy(self) -> StoredUpload:
        """Another stored upload of the same bytes, for a job of its own (and a retention of its own)."""
        copy = _new_upload()
        try:
            with self.path.open("rb") as source, _created(copy) as out:
                shutil.copyfileobj(source, out)
        except BaseException:
            copy.delete()
            raise
        return copy


def stored_uploads_older_than(cutoff: datetime) -> Iterator[StoredUpload]:
    """The stored uploads last written before `cutoff`."""
    directory = Path(settings.MEDIA_ROOT) / DIRECTORY
    if not directory.is_dir():
        return
    for path in directory.glob("*.enc"):
        if datetime.fromtimestamp(path.stat().st_mtime, tz=UTC) < cutoff:
            yield StoredUpload(f"{DIRECTORY}/{path.name}")


def _new_upload() -> StoredUpload:
    directory = Path(settings.MEDIA_ROOT) / DIRECTORY
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return StoredUpload(f"{DIRECTORY}/{uuid.uuid4().hex}.enc")


def _created(stored: StoredUpload) -> BinaryIO:
    """A new file, mode 0600 from its creation: O_EXCL with the mode, so it never exists with the wider
    permissions that a umask would allow."""
    return os.fdopen(os.open(stored.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


class UploadWriter:
    """Encrypts an upload into a new stored upload (mode 0600) as its bytes arrive: `write` them in any
    pieces, then `close` (or `abort`, which removes the file)."""

    def __init__(self) -> None:
        self.stored = _new_upload()
        key_id = next(iter(_keys()))
        self._cipher = _keys()[key_id]
        self._header = _HEADER.pack(MAGIC, key_id, secrets.token_bytes(8))
        self._digest = hashlib.sha256()
        self._pending = bytearray()
        self._number = 0
        self._out = _created(self.stored)
        self._out.write(self._header)

    def _seal(self, chunk: bytes, flag: bytes) -> None:
        self._digest.update(chunk)
        nonce = _nonce(self._header[-8:], self._number)
        self._out.write(self._cipher.encrypt(nonce, chunk, self._header + flag))
        self._number += 1

    def write(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= CHUNK:
            self._seal(bytes(self._pending[:CHUNK]), _NOT_LAST)
            del self._pending[:CHUNK]

    def close(self) -> tuple[StoredUpload, str]:
        """The stored upload and the SHA-256 of its plain text."""
        self._seal(bytes(self._pending), _LAST)  # shorter than CHUNK, possibly empty
        self._out.close()
        return self.stored, self._digest.hexdigest()

    def abort(self) -> None:
        self._out.close()
        self.stored.delete()


def upload_store(blocks: Iterable[bytes]) -> tuple[StoredUpload, str]:
    """Encrypt `blocks` into a new stored upload; return it and the SHA-256 of the plain text."""
    writer = UploadWriter()
    try:
        for block in blocks:
            writer.write(block)
        return writer.close()
    except BaseException:
        writer.abort()
        raise


class EncryptedUploadedFile(UploadedFile):
    """An upload that `imports.uploads.EncryptingUploadHandler` stored encrypted as it arrived."""

    def __init__(self, *, stored: StoredUpload, sha256: str, name: str, size: int, content_type: str) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.stored = stored
        self.sha256 = sha256


def upload_stored(uploaded: File) -> tuple[StoredUpload, str]:
    """The upload as a stored upload and its SHA-256: already stored if it came through the encrypting
    handler, encrypted now otherwise (the `import_file` command, tests)."""
    if isinstance(uploaded, EncryptedUploadedFile):
        return uploaded.stored, uploaded.sha256
    return upload_store(uploaded.chunks())


class _DecryptingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        header = raw.read(_HEADER.size)
        try:
            magic, key_id, prefix = _HEADER.unpack(header)
        except struct.error:
            raise StoredFileError("Not a stored upload: the header is cut off.") from None
        if magic != MAGIC:
            raise StoredFileError("Not a stored upload.")
        if key_id not in _keys():
            raise StoredFileError(f"The key {key_id.hex()} of this stored upload is not configured.")
        self._cipher, self._header, self._prefix = _keys()[key_id], header, prefix
        body = raw.seek(0, io.SEEK_END) - _HEADER.size
        self._last = body // (CHUNK + _TAG)  # the number of the last chunk, shorter than CHUNK
        self._size = self._last * CHUNK + body % (CHUNK + _TAG) - _TAG
        if self._size < self._last * CHUNK:
            raise StoredFileError("The stored upload is cut off.")
        self._position = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def tell(self) -> int:
        return self._position

    def _chunk(self, number: int) -> bytes:
        if self._cached is not None and self._cached[0] == number:
            return self._cached[1]
        self._raw.seek(_HEADER.size + number * (CHUNK + _TAG))
        sealed = self._raw.read(CHUNK + _TAG)
        flag = _LAST if number == self._last else _NOT_LAST
        try:
            plain = self._cipher.decrypt(_nonce(self._prefix, number), sealed, self._header + flag)
        except InvalidTag:
            raise StoredFileError(f"Chunk {number} of the stored upload does not decrypt.") from None
        self._cached = (number, plain)
        return plain

    def readinto(self, buffer: Any) -> int:
        if self._position >= self._size:
            return 0
        number, offset = divmod(self._position, CHUNK)
        data = self._chunk(number)[offset : offset + len(buffer)]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()
