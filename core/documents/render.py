"""Layout of a platform document: title, sections, issuer with its seal, statement of validity, footer."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, field
from functools import partial
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.documents.fonts import DocumentFonts, document_fonts
from core.documents.signing import document_sign

LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
# The colour of a Chinese official seal (印泥红).
SEAL_RED = colors.Color(0.84, 0.1, 0.11, alpha=0.88)
_MARGIN = 18 * mm
_QR_SIZE = 30 * mm
_SEAL_DIAMETER = 40 * mm
_TEXT_WIDTH = A4[0] - 2 * _MARGIN
_RULE = colors.HexColor("#7A8699")


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who issues a document: `name` in the document's language; `seal_name`, the agency's Chinese name,
    goes round the seal in both languages, as on the agency's own seals."""

    name: str
    seal_name: str
    seal_purpose: str = "电子证明专用章"


@dataclass(frozen=True, slots=True)
class Verification:
    """Where and until when anyone can check a document: `url` is printed and put in the QR code."""

    code: str
    url: str
    valid_until: datetime.date


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Fields:
    """Label and value pairs, two pairs to a row."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Grid:
    """A table with a header row repeated on each page. `widths` are relative; columns listed in
    `numeric` are right-aligned."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    numeric: tuple[int, ...] = ()


Block = Text | Fields | Grid


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None
    blocks: tuple[Block, ...] = field(default_factory=tuple)


def date_text(value: datetime.date, language: str) -> str:
    """A date as a document prints it: 2025年3月1日, or 1 March 2025."""
    if language.startswith("en"):
        return f"{value.day} {value:%B} {value.year}"
    return f"{value.year}年{value.month}月{value.day}日"


def _block_strings(block: Block) -> Iterable[str]:
    if isinstance(block, Text):
        yield block.text
    elif isinstance(block, Fields):
        for label, value in block.items:
            yield label
            yield value
    else:
        yield from block.header
        for row in block.rows:
            yield from row


@dataclass(frozen=True, slots=True)
class _Wording:
    """The machinery's own words, in the document's language."""

    issuer_label: str
    issued_label: str
    code_label: str
    validity: str
    page: str  # with {number} and {total}


def _wording(*, issuer: Issuer, verification: Verification, language: str) -> _Wording:
    with translation.override(language):
        return _Wording(
            issuer_label=pgettext("document", "Issuing agency"),
            issued_label=pgettext("document", "Date of issue"),
            code_label=pgettext("document", "Verification code"),
            validity=_(
                "This document was issued by {issuer} and is digitally signed by the national social "
                "insurance public service platform. Until {valid_until}, anyone can check that it is "
                "genuine and see what it states by scanning the QR code or by entering the verification "
                "code {code} at {url}."
            ).format(
                issuer=issuer.name,
                valid_until=date_text(verification.valid_until, language),
                code=verification.code,
                url=verification.url,
            ),
            page=pgettext("document", "Page {number} of {total}"),
        )


class _Seal(Flowable):
    """The issuing agency's electronic seal, drawn: a red double ring, the agency's name round the top,
    a five-pointed star, and the seal's purpose below it. Drawn over the issuer's name and date, as a
    stamp is."""

    def __init__(self, issuer: Issuer, font: str) -> None:
        super().__init__()
        self.issuer = issuer
        self.font = font
        self.width = self.height = _SEAL_DIAMETER

    def draw(self) -> None:
        canvas = self.canv
        radius = _SEAL_DIAMETER / 2
        canvas.saveState()
        canvas.translate(radius, radius)
        canvas.setStrokeColor(SEAL_RED)
        canvas.setFillColor(SEAL_RED)
        canvas.setLineWidth(1.4 * mm)
        canvas.circle(0, 0, radius - 0.7 * mm)
        canvas.setLineWidth(0.25 * mm)
        canvas.circle(0, 0, radius - 2.3 * mm)
        self._star(radius * 0.24)
        self._ring_text(radius - 6.2 * mm)
        canvas.setFont(self.font, 7)
        canvas.drawCentredString(0, -radius * 0.42, self.issuer.seal_purpose)
        canvas.restoreState()

    def _star(self, outer: float) -> None:
        inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
        points = []
        for index in range(10):
            angle = math.radians(90 + index * 36)
            length = outer if index % 2 == 0 else inner
            points.append((length * math.cos(angle), length * math.sin(angle)))
        path = self.canv.beginPath()
        path.moveTo(*points[0])
        for point in points[1:]:
            path.lineTo(*point)
        path.close()
        self.canv.drawPath(path, stroke=0, fill=1)

    def _ring_text(self, radius: float) -> None:
        name = self.issuer.seal_name
        # The name spans up to 230 degrees of the top, centred, each character upright to the centre.
        span = min(230.0, 20.0 * len(name))
        size = min(10.5, 2 * math.pi * radius * span / 360 / max(len(name), 1) * 0.92)
        step = span / max(len(name) - 1, 1)
        canvas = self.canv
        canvas.setFont(self.font, size)
        for index, character in enumerate(name):
            angle = 90 + span / 2 - index * step
            canvas.saveState()
            canvas.rotate(angle - 90)
            canvas.drawCentredString(0, radius - size * 0.8, character)
            canvas.restoreState()


class _PagedCanvas(Canvas):
    """Writes the footer (issuer, verification code, "page n of total") on every page, so that a reader
    can tell a missing page and check any single one. The total is known only at the end."""

    def __init__(self, *args: Any, footer: tuple[str, str, str], font: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._font = font
        self._page_states: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        for number, state in enumerate(self._page_states, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        width, _height = self._pagesize
        issuer, code, page = self._footer
        y = _MARGIN / 2
        self.setStrokeColor(_RULE)
        self.setLineWidth(0.4)
        self.line(_MARGIN, y + 10, width - _MARGIN, y + 10)
        self.setFont(self._font, 7.5)
        self.drawString(_MARGIN, y, issuer)
        self.drawCentredString(width / 2, y, code)
        self.drawRightString(width - _MARGIN, y, page.format(number=number, total=total))


def _styles(fonts: DocumentFonts) -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=fonts.body, fontSize=10, leading=16)
    return {
        "title": ParagraphStyle(
            "title", fontName=fonts.heading, fontSize=20, leading=28, alignment=TA_CENTER
        ),
        "heading": ParagraphStyle("heading", fontName=fonts.heading, fontSize=11, leading=16, spaceBefore=4),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
        "cell_right": ParagraphStyle("cell_right", parent=body, fontSize=8.5, leading=11, alignment=TA_RIGHT),
        "header": ParagraphStyle("header", fontName=fonts.heading, fontSize=8.5, leading=11),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=13),
        "issuer": ParagraphStyle("issuer", parent=body, fontSize=11, leading=18, alignment=TA_RIGHT),
    }


def _table_style(styles: dict[str, ParagraphStyle], commands: list[tuple[Any, ...]]) -> TableStyle:
    # A cell's own font, though every cell holds a paragraph: reportlab names it (Helvetica by default)
    # in the page, and a font named in the file must be embedded in it too.
    return TableStyle([("FONT", (0, 0), (-1, -1), styles["body"].fontName, 10), *commands])


def _grid(grid: Grid, styles: dict[str, ParagraphStyle]) -> Table:
    total = sum(grid.widths)
    widths = [_TEXT_WIDTH * width / total for width in grid.widths]
    header = [Paragraph(escape(text), styles["header"]) for text in grid.header]
    body = [
        [
            Paragraph(escape(text), styles["cell_right" if column in grid.numeric else "cell"])
            for column, text in enumerate(row)
        ]
        for row in grid.rows
    ]
    style = _table_style(
        styles,
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8ECF2")),
            ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ],
    )
    # repeatRows: a long table splits across pages with its header on each.
    return Table([header, *body], colWidths=widths, repeatRows=1, style=style)


def _fields(block: Fields, styles: dict[str, ParagraphStyle]) -> Table:
    cells = [
        Paragraph(
            f'<font name="{styles["header"].fontName}">{escape(label)}</font>　{escape(value)}',
            styles["body"],
        )
        for label, value in block.items
    ]
    rows = [cells[index : index + 2] for index in range(0, len(cells), 2)]
    if rows and len(rows[-1]) == 1:
        rows[-1].append(Paragraph("", styles["body"]))
    style = _table_style(styles, [("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    return Table(rows, colWidths=[_TEXT_WIDTH / 2] * 2, style=style, hAlign="LEFT")


def _flowables(block: Block, styles: dict[str, ParagraphStyle]) -> Flowable:
    if isinstance(block, Text):
        return Paragraph(escape(block.text), styles["body"])
    if isinstance(block, Fields):
        return _fields(block, styles)
    return _grid(block, styles)


def _issuer_block(
    issuer: Issuer, issued_on: datetime.date, wording: _Wording, styles: dict[str, ParagraphStyle], font: str
) -> Table:
    language = translation.get_language()
    colon = ": " if language == "en" else "："
    lines = Paragraph(
        f"{escape(wording.issuer_label)}{colon}{escape(issuer.name)}<br/>"
        f"{escape(wording.issued_label)}{colon}{escape(date_text(issued_on, language))}",
        styles["issuer"],
    )
    # The seal sits over the end of the issuer's lines, as a stamp does on paper.
    style = _table_style(
        styles,
        [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("RIGHTPADDING", (0, 0), (0, 0), -_SEAL_DIAMETER * 0.5),
        ],
    )
    return Table(
        [[lines, _Seal(issuer, font)]],
        colWidths=[_TEXT_WIDTH - _SEAL_DIAMETER, _SEAL_DIAMETER],
        style=style,
    )


def _validity_block(
    verification: Verification, wording: _Wording, styles: dict[str, ParagraphStyle], font: str
) -> Table:
    qr = QrCodeWidget(verification.url)
    left, bottom, right, top = qr.getBounds()
    drawing = Drawing(
        _QR_SIZE, _QR_SIZE, transform=[_QR_SIZE / (right - left), 0, 0, _QR_SIZE / (top - bottom), 0, 0]
    )
    drawing.initialFontName = font  # no other font named in the file, though the code has no text
    drawing.add(qr)
    text = [
        Paragraph(escape(wording.validity), styles["small"]),
        Paragraph(f"{escape(wording.code_label)}  {escape(verification.code)}", styles["heading"]),
    ]
    style = _table_style(
        styles,
        [
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BOX", (0, 0), (-1, -1), 0.5, _RULE),
            ("LEFTPADDING", (0, 0), (-1, -1), 3 * mm),
        ],
    )
    return Table(
        [[text, drawing]], colWidths=[_TEXT_WIDTH - _QR_SIZE - 6 * mm, _QR_SIZE + 6 * mm], style=style
    )


def document_render(
    *,
    kind: str,
    title: str,
    sections: Sequence[Section],
    language: str,
    verification: Verification,
    issuer: Issuer,
    issued_on: datetime.date,
) -> bytes:
    """The document as a PDF signed by the platform. See core.documents for the parts of a page."""
    if language not in LANGUAGES:
        raise ValueError(f"Documents are written in {LANGUAGES}, not {language!r}.")
    wording = _wording(issuer=issuer, verification=verification, language=language)
    footer = (issuer.name, f"{wording.code_label} {verification.code}", wording.page)
    strings = [
        title,
        issuer.name,
        issuer.seal_name,
        issuer.seal_purpose,
        *(section.heading or "" for section in sections),
        *(text for section in sections for block in section.blocks for text in _block_strings(block)),
        *astuple(wording),
        date_text(issued_on, language),
        "：　0123456789",
    ]
    with document_fonts("".join(strings)) as fonts, translation.override(language):
        styles = _styles(fonts)
        story: list[Flowable] = [Paragraph(escape(title), styles["title"]), Spacer(1, 6 * mm)]
        for section in sections:
            parts: list[Flowable] = []
            if section.heading:
                parts.append(Paragraph(escape(section.heading), styles["heading"]))
            parts.extend(_flowables(block, styles) for block in section.blocks)
            story.extend([*parts, Spacer(1, 4 * mm)])
        story.append(
            KeepTogether(
                [
                    Spacer(1, 4 * mm),
                    _issuer_block(issuer, issued_on, wording, styles, fonts.body),
                    Spacer(1, 6 * mm),
                    _validity_block(verification, wording, styles, fonts.body),
                ]
            )
        )
        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN,
            bottomMargin=_MARGIN,
            title=title,
            author=issuer.name,
            subject=kind,
            creator="全国统一社会保险公共服务平台",
            lang="en" if language == "en" else "zh-CN",
            invariant=True,
            # Every page starts in the embedded face, so that no other font is named in the file.
            initialFontName=fonts.body,
        )
        document.build(story, canvasmaker=partial(_PagedCanvas, footer=footer, font=fonts.body))
    return document_sign(buffer.getvalue(), reason=title, location=issuer.name)
