"""The participation certificate (参保缴费证明) as a PDF, and the digest that proves a copy unaltered.

Rendering is deterministic (reportlab's invariant mode: fixed creation date and document ID), so the same
content always gives the same bytes: a stored hash of the PDF identifies a genuine copy, and the PDF can be
rendered again from the stored content instead of being kept. Chinese text uses the Adobe CID font
STSong-Light, which every PDF reader provides, so no font file is embedded or shipped.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import money
from insurance.periods import period_label

CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

VERIFY_PATH = "/api/v1/certificates/verify/"
_MARGIN = 18 * mm
_QR_SIZE = 32 * mm


@dataclass(frozen=True, slots=True)
class CertificateRow:
    scheme: str  # as printed, e.g. 企业职工基本养老保险
    province: str  # as printed, e.g. 北京市
    period_from: int  # YYYYMM
    period_to: int  # YYYYMM
    months: int  # months actually paid within the range
    base_min: Decimal
    base_max: Decimal
    amount: Decimal  # employer and individual contributions paid for these months


@dataclass(frozen=True, slots=True)
class CertificateContent:
    """Every fact printed on a certificate, and nothing else."""

    person_name: str
    masked_id_number: str
    issue_date: datetime.date
    verification_code: str
    rows: tuple[CertificateRow, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only: what is stored as issued, and what the digest is taken over."""
        return {
            "person_name": self.person_name,
            "masked_id_number": self.masked_id_number,
            "issue_date": self.issue_date.isoformat(),
            "verification_code": self.verification_code,
            "rows": [
                {
                    "scheme": row.scheme,
                    "province": row.province,
                    "period_from": row.period_from,
                    "period_to": row.period_to,
                    "months": row.months,
                    "base_min": _money_text(row.base_min),
                    "base_max": _money_text(row.base_max),
                    "amount": _money_text(row.amount),
                }
                for row in self.rows
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CertificateContent:
        return cls(
            person_name=data["person_name"],
            masked_id_number=data["masked_id_number"],
            issue_date=datetime.date.fromisoformat(data["issue_date"]),
            verification_code=data["verification_code"],
            rows=tuple(
                CertificateRow(
                    scheme=row["scheme"],
                    province=row["province"],
                    period_from=row["period_from"],
                    period_to=row["period_to"],
                    months=row["months"],
                    base_min=Decimal(row["base_min"]),
                    base_max=Decimal(row["base_max"]),
                    amount=Decimal(row["amount"]),
                )
                for row in data["rows"]
            ),
        )


def _money_text(value: Decimal) -> str:
    # 5000 and 5000.00 are the same amount and must give the same digest.
    return str(money(value))


def certificate_content_digest(content: CertificateContent) -> str:
    """SHA-256 (hex) over canonical JSON: sorted keys, no spaces, UTF-8. Any changed fact changes it."""
    canonical = json.dumps(content.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def certificate_verify_url(*, base_url: str, verification_code: str) -> str:
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{verification_code}"


class _NumberedCanvas(Canvas):
    """Writes "page n / total" and the verification code on every page, so that a reader can tell a
    missing page and check any single page. The total is known only at the end, hence the deferral."""

    def __init__(self, *args: Any, verification_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verification_code = verification_code
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
        width, _ = self._pagesize
        y = _MARGIN / 2
        self.setFont(CJK_FONT, 8)
        self.drawString(_MARGIN, y, "验证码")
        self.setFont("Courier", 8)
        self.drawString(_MARGIN + 26, y, self._verification_code)
        self.setFont(CJK_FONT, 8)  # the page line is in the reader's language, Chinese by default
        self.drawRightString(
            width - _MARGIN, y, gettext("Page %(number)s / %(total)s") % {"number": number, "total": total}
        )


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=15)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=18, leading=26, alignment=1),
        "body": body,
        "cell": ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12),
    }


def _base_range(row: CertificateRow) -> str:
    if row.base_min == row.base_max:
        return f"{row.base_min:,.2f}"
    return f"{row.base_min:,.2f} - {row.base_max:,.2f}"


_TABLE_STYLE = [
    ("FONT", (0, 0), (-1, 0), CJK_FONT, 8.5),
    ("FONT", (2, 1), (-1, -1), "Helvetica", 8.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8ECF2")),
    ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#7A8699")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("ALIGN", (4, 1), (-1, -1), "RIGHT"),
]


def _history_table(rows: tuple[CertificateRow, ...], cell: ParagraphStyle) -> Table:
    header = ["险种", "参保地", "起始年月", "截止年月", "月数", "缴费基数（元）", "缴费金额（元）"]
    body = [
        [
            Paragraph(escape(row.scheme), cell),
            Paragraph(escape(row.province), cell),
            period_label(row.period_from),
            period_label(row.period_to),
            str(row.months),
            _base_range(row),
            f"{row.amount:,.2f}",
        ]
        for row in rows
    ]
    widths = [38 * mm, 30 * mm, 18 * mm, 18 * mm, 12 * mm, 35 * mm, 23 * mm]
    # repeatRows: a long history splits across pages with the header on each.
    return Table([header, *body], colWidths=widths, repeatRows=1, style=TableStyle(_TABLE_STYLE))


def _scheme_totals(rows: tuple[CertificateRow, ...]) -> Iterator[tuple[str, int, Decimal]]:
    """Months and amounts per scheme, in the order the schemes first appear."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for row in rows:
        months, amount = totals.get(row.scheme, (0, Decimal(0)))
        totals[row.scheme] = (months + row.months, amount + row.amount)
    for scheme, (months, amount) in totals.items():
        yield scheme, months, amount


def _totals_table(rows: tuple[CertificateRow, ...], cell: ParagraphStyle) -> Table:
    body = [
        [Paragraph(escape(scheme), cell), str(months), f"{amount:,.2f}"]
        for scheme, months, amount in _scheme_totals(rows)
    ]
    style = [
        *_TABLE_STYLE,
        ("FONT", (1, 1), (-1, -1), "Helvetica", 8.5),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]
    return Table(
        [["险种", "累计缴费月数", "累计缴费金额（元）"], *body],
        colWidths=[58 * mm, 30 * mm, 36 * mm],
        repeatRows=1,
        hAlign="LEFT",
        style=TableStyle(style),
    )


def _verification_block(content: CertificateContent, url: str, small: ParagraphStyle) -> Table:
    code = escape(content.verification_code)
    digest = certificate_content_digest(content)
    text = [
        Paragraph(f'验证码：<font name="Courier">{code}</font>', small),
        Paragraph("本证明的真伪和内容可在以下地址核验：", small),
        Paragraph(f'<font name="Courier">{escape(url)}</font>', small),
        Paragraph(
            f'内容摘要（SHA-256）：<font name="Courier" size="7">{digest}</font>',
            small,
        ),
    ]
    qr = QrCodeWidget(url)
    left, bottom, right, top = qr.getBounds()
    drawing = Drawing(
        _QR_SIZE, _QR_SIZE, transform=[_QR_SIZE / (right - left), 0, 0, _QR_SIZE / (top - bottom), 0, 0]
    )
    drawing.add(qr)
    return Table(
        [[text, drawing]],
        colWidths=[A4[0] - 2 * _MARGIN - _QR_SIZE - 4 * mm, _QR_SIZE + 4 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
    )


def certificate_render_pdf(*, content: CertificateContent, verify_base_url: str) -> bytes:
    """The certificate as PDF bytes; `verify_base_url` is the public origin, e.g. https://si.example.cn."""
    styles = _styles()
    url = certificate_verify_url(base_url=verify_base_url, verification_code=content.verification_code)
    person = (
        f"姓名：{escape(content.person_name)}　　"
        f"社会保障号码：{escape(content.masked_id_number)}　　"
        f"出具日期：{content.issue_date.isoformat()}"
    )
    story = [
        Paragraph("社会保险参保缴费证明", styles["title"]),
        Spacer(1, 4 * mm),
        Paragraph(person, styles["body"]),
        Spacer(1, 2 * mm),
        Paragraph("经查询，参保人在全国统一社会保险公共服务平台的参保缴费记录如下：", styles["body"]),
        Spacer(1, 3 * mm),
        _history_table(content.rows, styles["cell"]),
        Spacer(1, 5 * mm),
        Paragraph("合计", styles["body"]),
        Spacer(1, 2 * mm),
        _totals_table(content.rows, styles["cell"]),
        Spacer(1, 6 * mm),
        _verification_block(content, url, styles["small"]),
    ]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN,
        title="社会保险参保缴费证明",
        invariant=True,
    )
    document.build(story, canvasmaker=partial(_NumberedCanvas, verification_code=content.verification_code))
    return buffer.getvalue()
