"""The face check of a face certification: a selfie compared with the card's photo.

The selfie is checked from its size and its header (format, pixel count) before any pixel is decoded,
so that a file that is not an image, too large, or a decompression bomb never reaches the model. The
comparison is a backend: the default one runs face_recognition (dlib) on this machine, offline; a province
may plug in an external identity service (settings.CERTIFICATION_FACE_BACKENDS), which raises
`TransientFaceError` on what a retry may cure (a timeout, a 503) and nothing else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from cards.photos import face_recognition_module
from core.exceptions import ApplicationError

_FORMATS = {"JPEG", "PNG"}
DISTANCE_PLACES = Decimal("0.0001")


class TransientFaceError(Exception):
    """The comparison could not be made now (a service unreachable): the job is tried again."""


@dataclass(frozen=True, slots=True)
class FaceComparison:
    """A comparison made: `distance` is None when the selfie held no face or several (`reason`)."""

    distance: Decimal | None
    reason: str = ""


class FaceBackend(Protocol):
    name: str

    def compare(self, *, selfie: bytes, reference: bytes) -> FaceComparison: ...


def _refused(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"selfie": [message]})


def selfie_check(*, content: bytes) -> None:
    """Refuse a selfie that is too large, not a JPEG or PNG, or has too many pixels, from its header."""
    if len(content) > settings.SELFIE_MAX_BYTES:
        raise _refused(
            "selfie_too_large",
            _("The selfie is larger than %(limit)d bytes.") % {"limit": settings.SELFIE_MAX_BYTES},
        )
    try:
        image = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError:
        raise _refused("selfie_too_many_pixels", _("The selfie has too many pixels.")) from None
    except (UnidentifiedImageError, OSError):
        raise _refused("selfie_format", _("The selfie must be a JPEG or PNG image.")) from None
    if image.format not in _FORMATS:
        raise _refused("selfie_format", _("The selfie must be a JPEG or PNG image."))
    width, height = image.size
    if width * height > settings.SELFIE_MAX_PIXELS:
        raise _refused("selfie_too_many_pixels", _("The selfie has too many pixels."))


def _pixels(content: bytes):
    import numpy

    return numpy.asarray(Image.open(io.BytesIO(content)).convert("RGB"))


class LocalFaceBackend:
    """face_recognition on this machine: exactly one face in the selfie, its 128-dimension encoding
    compared with the card photo's (which holds one face: the card service refused any other)."""

    name = "face_recognition"

    def compare(self, *, selfie: bytes, reference: bytes) -> FaceComparison:
        recognition = face_recognition_module()
        try:
            pixels = _pixels(selfie)
        except (OSError, SyntaxError, ValueError):  # truncated or corrupt past its header
            return FaceComparison(None, "selfie_unreadable")
        locations = recognition.face_locations(pixels)
        if not locations:
            return FaceComparison(None, "selfie_no_face")
        if len(locations) > 1:
            return FaceComparison(None, "selfie_several_faces")
        reference_encodings = recognition.face_encodings(_pixels(reference))
        if not reference_encodings:
            return FaceComparison(None, "reference_no_face")
        selfie_encoding = recognition.face_encodings(pixels, known_face_locations=locations)[0]
        distance = recognition.face_distance([reference_encodings[0]], selfie_encoding)[0]
        return FaceComparison(Decimal(str(float(distance))).quantize(DISTANCE_PLACES))


def face_backend_for(*, province_id: str) -> FaceBackend:
    path = settings.CERTIFICATION_FACE_BACKENDS.get(province_id)
    backend: FaceBackend = import_string(path)() if path else LocalFaceBackend()
    return backend
