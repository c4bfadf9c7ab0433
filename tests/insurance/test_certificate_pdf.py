import base64
import dataclasses
import datetime
import hashlib
import re
import zlib
from decimal import Decimal

from reportlab.lib.rl_accel import escapePDF

from insurance.certificates import (
    CertificateContent,
    CertificateRow,
    certificate_content_digest,
    certificate_render_pdf,
    certificate_verify_url,
)

CODE = "K7QX2M9RT4WZ"
BASE_URL = "https://si.example.cn/"


def row(year: int, scheme: str = "企业职工基本养老保险", province: str = "北京市") -> CertificateRow:
    return CertificateRow(
        scheme=scheme,
        province=province,
        period_from=year * 100 + 1,
        period_to=year * 100 + 12,
        months=12,
        base_min=Decimal("5000.00"),
        base_max=Decimal("8000.50"),
        amount=Decimal("11520.00"),
    )


def certificate(rows) -> CertificateContent:
    return CertificateContent(
        person_name="张三",
        masked_id_number="110105********002X",
        issue_date=datetime.date(2025, 3, 1),
        verification_code=CODE,
        rows=tuple(rows),
    )


def page_count(pdf: bytes) -> int:
    (count,) = re.findall(rb"/Count (\d+) /Kids", pdf)
    return int(count)


def page_streams(pdf: bytes) -> list[bytes]:
    """The decoded content streams (reportlab writes ASCII85 over Flate)."""
    encoded = re.findall(
        rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length \d+\s*>>\s*stream\r?\n(.*?)~>", pdf, re.S
    )
    return [zlib.decompress(base64.a85decode(data.strip())) for data in encoded]


def shown_text(page: bytes) -> bytes:
    """The page's string operands joined, since reportlab shows a paragraph in several pieces."""
    return b"".join(re.findall(rb"\(((?:[^\\)]|\\.)*)\) Tj", page))


def pdf_text(text: str) -> bytes:
    """How reportlab writes `text` in the Chinese CID font: UTF-16BE inside a PDF string."""
    return escapePDF(text.encode("utf-16-be")).encode("latin-1")


def test_short_history_is_one_page_pdf_with_the_code_and_where_to_verify_it():
    pdf = certificate_render_pdf(content=certificate([row(2020), row(2021)]), verify_base_url=BASE_URL)

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1
    (page,) = page_streams(pdf)
    assert page.count(CODE.encode()) == 3  # the code line, the footer and inside the address
    assert b"(https://si.example.cn/api/v1/certificates/verify/K7QX2M9RT4WZ)" in page
    assert certificate_content_digest(certificate([row(2020), row(2021)])).encode() in page
    assert pdf_text("社会保险参保缴费证明") in page
    assert pdf_text("张三") in page
    assert b"(2021-12)" in page
    assert b"(5,000.00 - 8,000.50)" in page
    assert b"(23,040.00)" in page  # the scheme total of the two years


def test_long_history_splits_across_pages_with_the_header_and_code_on_each():
    rows = [row(1990 + i % 30, province="广东省" if i >= 40 else "北京市") for i in range(100)]

    pdf = certificate_render_pdf(content=certificate(rows), verify_base_url=BASE_URL)

    assert page_count(pdf) == 3
    pages = page_streams(pdf)
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        assert pdf_text("缴费基数（元）") in page
        assert CODE.encode() in page
        assert pdf_text(f"第 {number} 页 / 共 3 页") in page
    assert sum(page.count(b"(1995-01)") for page in pages) == 4  # 1995 appears in rows 5, 35, 65 and 95


def test_rendering_is_deterministic_so_the_pdf_hash_identifies_a_genuine_copy():
    content = certificate([row(2020)])

    assert certificate_render_pdf(content=content, verify_base_url=BASE_URL) == certificate_render_pdf(
        content=content, verify_base_url=BASE_URL
    )


def test_markup_in_names_is_printed_as_text():
    content = CertificateContent(
        person_name="A<b>&C",
        masked_id_number="110105********002X",
        issue_date=datetime.date(2025, 3, 1),
        verification_code=CODE,
        rows=(row(2020),),
    )

    (page,) = page_streams(certificate_render_pdf(content=content, verify_base_url=BASE_URL))

    assert pdf_text("A<b>&C") in shown_text(page)


def test_verify_url_joins_base_and_code():
    assert certificate_verify_url(base_url="https://si.example.cn/", verification_code=CODE) == (
        "https://si.example.cn/api/v1/certificates/verify/K7QX2M9RT4WZ"
    )


def test_content_round_trips_through_its_stored_json():
    content = certificate([row(2020), row(2021, scheme="职工基本医疗保险")])

    assert CertificateContent.from_json(content.to_json()) == content


def test_digest_is_sha256_of_canonical_json():
    content = certificate([row(2020)])

    assert content.to_json() == {
        "person_name": "张三",
        "masked_id_number": "110105********002X",
        "issue_date": "2025-03-01",
        "verification_code": CODE,
        "rows": [
            {
                "scheme": "企业职工基本养老保险",
                "province": "北京市",
                "period_from": 202001,
                "period_to": 202012,
                "months": 12,
                "base_min": "5000.00",
                "base_max": "8000.50",
                "amount": "11520.00",
            }
        ],
    }
    canonical = (
        '{"issue_date":"2025-03-01","masked_id_number":"110105********002X","person_name":"张三",'
        '"rows":[{"amount":"11520.00","base_max":"8000.50","base_min":"5000.00","months":12,'
        '"period_from":202001,"period_to":202012,"province":"北京市","scheme":"企业职工基本养老保险"}],'
        '"verification_code":"K7QX2M9RT4WZ"}'
    )
    assert certificate_content_digest(content) == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_digest_ignores_how_an_amount_is_written_but_not_what_it_is():
    original = certificate([row(2020)])
    rewritten = certificate([dataclasses.replace(row(2020), amount=Decimal("11520"))])
    altered = certificate([dataclasses.replace(row(2020), amount=Decimal("11520.01"))])

    assert certificate_content_digest(rewritten) == certificate_content_digest(original)
    assert certificate_content_digest(altered) != certificate_content_digest(original)
