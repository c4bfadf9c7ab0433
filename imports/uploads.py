"""The upload request's file, encrypted as it arrives.

Django keeps an upload larger than FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary file, in plain text, for
the length of the request. The upload API parses its body with `EncryptingMultiPartParser` instead, whose
handler writes the bytes straight into a stored upload (imports.storage): no plain copy of the ID numbers
ever reaches a disk. An upload the request then refuses is deleted by `import_upload`; one whose request
fails before (an invalid form) is left to the retention rule, which deletes the stored uploads no job
names.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.parsers import MultiPartParser

from imports.storage import EncryptedUploadedFile, UploadWriter


class EncryptingUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.writer = UploadWriter()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write(raw_data)

    def file_complete(self, file_size: int) -> EncryptedUploadedFile:
        stored, sha256 = self.writer.close()
        return EncryptedUploadedFile(
            stored=stored,
            sha256=sha256,
            name=self.file_name or "upload",
            size=file_size,
            content_type=self.content_type or "application/octet-stream",
        )

    def upload_interrupted(self) -> None:
        if hasattr(self, "writer"):
            self.writer.abort()


class EncryptingMultiPartParser(MultiPartParser):
    """Multipart bodies whose files go through `EncryptingUploadHandler` alone."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        request = (parser_context or {})["request"]
        request._request.upload_handlers = [EncryptingUploadHandler(request._request)]
        return super().parse(stream, media_type, parser_context)
