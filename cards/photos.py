"""The photo of a card application: a JPEG or PNG, size-limited, with exactly one face in it.

The face is found by dlib's HOG face detector (face_recognition on dlib-bin, its models from
face-recognition-models), entirely on this machine. A picture's pixel count is read from its header and
held to a limit before any pixel is decoded, so that a small file claiming an enormous picture (a
decompression bomb) is refused before it costs memory, and before the model sees it.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from core.exceptions import ApplicationError

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


@dataclass(frozen=True, slots=True)
class Photo:
    content: bytes
    content_type: str


def _refused(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"photo": [message]})


@cache
def face_recognition_module() -> ModuleType:
    """The face_recognition module, loaded once (card photos and certification's face check use it)."""
    # face_recognition_models finds its model files through pkg_resources, whose deprecation warning is
    # no concern of ours (pyproject.toml pins the setuptools that still ships it).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, message="pkg_resources is deprecated")
        import face_recognition  # type: ignore[import-untyped]  # the package ships no types

    # Importing it turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so that a truncated file
    # would be decoded with grey filling in: put Pillow's default back, so that a truncated photo is
    # refused as such (face_recognition's own loader, the only one that wants it, is not used here).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    module: ModuleType = face_recognition
    return module


def photo_check(*, content: bytes) -> Photo:
    """The photo as given, once it is a JPEG or PNG within the limits with exactly one face in it."""
    if len(content) > settings.CARD_PHOTO_MAX_BYTES:
        raise _refused(
            "card_photo_too_large",
            _("The photo is larger than %(limit)d bytes.") % {"limit": settings.CARD_PHOTO_MAX_BYTES},
        )
    try:
        # Reads the header only; Pillow's own bomb check (twice its MAX_IMAGE_PIXELS) may refuse here.
        image = Image.open(io.BytesIO(content))
    except Image.DecompressionBombError:
        raise _refused("card_photo_too_many_pixels", _("The photo has too many pixels.")) from None
    except (UnidentifiedImageError, OSError):
        raise _refused("card_photo_format", _("The photo must be a JPEG or PNG image.")) from None
    if image.format not in _FORMATS:
        raise _refused("card_photo_format", _("The photo must be a JPEG or PNG image."))
    width, height = image.size
    if width * height > settings.CARD_PHOTO_MAX_PIXELS:
        raise _refused("card_photo_too_many_pixels", _("The photo has too many pixels."))
    recognition = face_recognition_module()
    try:
        pixels = image.convert("RGB")
    except (OSError, SyntaxError, ValueError):  # a truncated or corrupt picture
        raise _refused("card_photo_format", _("The photo must be a JPEG or PNG image.")) from None
    import numpy

    faces = len(recognition.face_locations(numpy.asarray(pixels)))
    if faces == 0:
        raise _refused("card_photo_no_face", _("No face can be seen in the photo."))
    if faces > 1:
        raise _refused("card_photo_several_faces", _("The photo must show one face only."))
    return Photo(content=content, content_type=_FORMATS[image.format])
