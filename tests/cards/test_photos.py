"""The application's photo: a JPEG or PNG within the limits, with exactly one face, found by real face
detection on the test photographs in shared/fixtures/faces."""

import io
import struct
import zlib

import pytest
from PIL import Image

from cards.photos import photo_check
from core.exceptions import ApplicationError
from tests.cards.cardmaking import face


def _refused(content: bytes) -> str:
    with pytest.raises(ApplicationError) as refusal:
        photo_check(content=content)
    return refusal.value.code


def _png(width: int, height: int, colour=(200, 180, 160)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims a picture of `width` x `height` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("name", ["obama_small.jpg", "rose_leslie2.jpg"])
def test_a_portrait_with_one_face_is_taken_as_given(name):
    photo = photo_check(content=face(name))
    assert (photo.content, photo.content_type) == (face(name), "image/jpeg")


def test_a_png_portrait_is_taken():
    buffer = io.BytesIO()
    Image.open(io.BytesIO(face())).save(buffer, format="PNG")
    assert photo_check(content=buffer.getvalue()).content_type == "image/png"


def test_two_faces_are_refused():
    assert _refused(face("two_people.jpg")) == "card_photo_several_faces"


def test_no_face_is_refused():
    assert _refused(_png(300, 400)) == "card_photo_no_face"


def test_other_formats_and_garbage_are_refused():
    buffer = io.BytesIO()
    Image.open(io.BytesIO(face())).save(buffer, format="GIF")
    assert _refused(buffer.getvalue()) == "card_photo_format"
    assert _refused(b"not a picture at all") == "card_photo_format"
    assert _refused(face()[: len(face()) // 3]) == "card_photo_format"  # truncated


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CARD_PHOTO_MAX_BYTES = len(face()) - 1
    assert _refused(face()) == "card_photo_too_large"


@pytest.mark.parametrize("side", [5_000, 100_000])
def test_a_decompression_bomb_is_refused_from_its_header(side):
    bomb = _png_header_claiming(side, side)
    assert len(bomb) < 200
    assert _refused(bomb) == "card_photo_too_many_pixels"


def test_the_pixel_limit_is_configurable(settings):
    settings.CARD_PHOTO_MAX_PIXELS = 320 * 240 - 1
    assert _refused(face("obama_small.jpg")) == "card_photo_too_many_pixels"
