"""Upload handling: stream every file to disk, hash it on the way, drop it when it is too big.

Django's default handlers keep small files in memory and hash nothing; evidence needs the SHA-256
anyway (content addressing) and package exports the CRC-32, so computing them while the bytes arrive
saves a second pass over a file that may be 200 MB, and a file over the limit is dropped as soon as
it crosses it.
"""

import hashlib
import zlib

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _


def upload_errors(request) -> list[str]:
    """Messages about files the handler dropped during this request (too large, …)."""
    return getattr(request, "_upload_errors", [])


class HashingUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.crc32 = 0
        self.size = 0
        self.limit = settings.EVIDENCE_MAX_FILE_BYTES

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        if self.size > self.limit:
            message = _("“%(name)s”超过 %(mb)d MB 的大小限制，未上传。") % {
                "name": self.file_name,
                "mb": self.limit // (1024 * 1024),
            }
            if self.request is not None:
                self.request._upload_errors = [*upload_errors(self.request), message]
            self.file.close()
            raise SkipFile(message)
        self.sha256.update(raw_data)
        self.crc32 = zlib.crc32(raw_data, self.crc32)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self.sha256.hexdigest()
        uploaded.crc32 = self.crc32
        return uploaded
