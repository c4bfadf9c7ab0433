"""The Chinese fonts embedded in every document, so that a reader without Chinese fonts shows the text.

The faces are Noto Serif SC (body text, the 宋体 style of official documents) and Noto Sans SC (headings,
the 黑体 style), SIL Open Font License 1.1, from the `pylopdf-fonts-zh-cn` wheel: static Regular faces
covering all 20,992 URO ideographs and Extension A, so that every name prints. They are CFF (PostScript)
outlines, which reportlab cannot embed; so for each document the face is cut down with fontTools to the
characters the document uses, and that subset's outlines are converted to TrueType quadratics (within one
font unit), which reportlab embeds as a TrueType subset (FontFile2). Converting a whole face once would
cost half a minute; a subset costs a fraction of a second.

The subset's PostScript name is derived from its character set, so the same document renders to the same
bytes (reportlab's invariant mode); reportlab keys its font registry by that name, and a subset is
registered only while a document that uses it is being built.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

import pylopdf_fonts_zh_cn
from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont as FontToolsFont
from fontTools.ttLib import newTable
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Printable ASCII is always included: digits, codes and addresses need no list of their own.
_ALWAYS = "".join(chr(code) for code in range(0x20, 0x7F))
# Tables a PDF reader needs from an embedded TrueType font; layout (GSUB/GPOS) is not applied by reportlab.
_DROPPED_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
# Largest distance, in font units (1000 a em), between a converted quadratic outline and the original.
_CONVERSION_TOLERANCE = 1.0

_registry_lock = threading.Lock()
_registered: Counter[str] = Counter()


@dataclass(frozen=True, slots=True)
class DocumentFonts:
    """The reportlab font names of one document's two faces."""

    body: str
    heading: str


@cache
def _face_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _truetype_subset(path: Path, text: str, name: str) -> bytes:
    """The face at `path`, cut down to the characters of `text`, with TrueType outlines, named `name`."""
    font = FontToolsFont(BytesIO(_face_bytes(path)))
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += _DROPPED_TABLES
    options.notdef_outline = True
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # copyright, names, version, licence
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for glyph_name in order:
        pen = TTGlyphPen(None)
        # PostScript outlines run counter-clockwise, TrueType ones clockwise.
        glyphs[glyph_name].draw(Cu2QuPen(pen, _CONVERSION_TOLERANCE, reverse_direction=True))
        glyf[glyph_name] = pen.glyph()
    del font["CFF "]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"
    # reportlab keys a face by its PostScript name: each subset needs its own.
    font["name"].setName(name, 6, 3, 1, 0x409)
    font["name"].setName(name, 6, 1, 0, 0)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _register(name: str, path: Path, text: str) -> None:
    with _registry_lock:
        if _registered[name] == 0:
            pdfmetrics.registerFont(TTFont(name, BytesIO(_truetype_subset(path, text, name))))
        _registered[name] += 1


def _release(name: str) -> None:
    with _registry_lock:
        _registered[name] -= 1
        if _registered[name] == 0:
            del _registered[name]
            # reportlab has no way to unregister a font: without this every document's subset stays.
            pdfmetrics._fonts.pop(name, None)
            pdfmetrics._dynFaceNames.pop(name, None)


@contextmanager
def document_fonts(text: str) -> Iterator[DocumentFonts]:
    """Register the two faces, cut down to the characters of `text`, while a document is built."""
    characters = "".join(sorted(set(text) | set(_ALWAYS)))
    key = hashlib.sha256(characters.encode("utf-8")).hexdigest()[:16].upper()
    faces = {
        f"NotoSerifSC-{key}": Path(pylopdf_fonts_zh_cn.serif_path()),
        f"NotoSansSC-{key}": Path(pylopdf_fonts_zh_cn.sans_path()),
    }
    registered: list[str] = []
    try:
        for name, path in faces.items():
            _register(name, path, characters)
            registered.append(name)
        body, heading = faces
        yield DocumentFonts(body=body, heading=heading)
    finally:
        for name in registered:
            _release(name)


@lru_cache(maxsize=256)
def document_web_font(text: str) -> str:
    """Noto Sans SC cut down to the characters of `text`, as a WOFF `data:` URL for a page's
    `@font-face`: a verification page shows its Chinese on a machine without Chinese fonts too."""
    font = FontToolsFont(BytesIO(_face_bytes(Path(pylopdf_fonts_zh_cn.sans_path()))))
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += _DROPPED_TABLES
    options.flavor = "woff"
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(_ALWAYS))))
    subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return "data:font/woff;base64," + base64.b64encode(out.getvalue()).decode("ascii")
