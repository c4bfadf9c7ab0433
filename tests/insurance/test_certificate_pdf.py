import dataclasses
import datetime
import hashlib
from decimal import Decimal

from core.documents import Issuer, Verification
from insurance.certificates import (
    CertificateContent,
    CertificateRow,
    certificate_content_digest,
    certificate_render_pdf,
)
from tests.pdf import page_texts

CODE = "K7QX2M9RT4WZ"
URL = f"https://si.example.cn/api/v1/certificates/verify/{CODE}"


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


def render(content: CertificateContent, language: str = "zh-hans") -> bytes:
    return certificate_render_pdf(
        content=content,
        language=language,
        verification=Verification(code=CODE, url=URL, valid_until=datetime.date(2025, 8, 28)),
        issuer=Issuer(name="北京市社会保险事业管理中心", seal_name="北京市社会保险事业管理中心"),
    )


def test_short_history_is_one_page_with_the_holder_the_rows_and_the_totals():
    (text,) = page_texts(render(certificate([row(2020), row(2021)])))

    assert "社会保险参保缴费证明" in text
    assert "姓名 张三" in text
    assert "社会保障号码 110105********002X" in text
    assert "2021-12" in text
    assert "5,000.00 - 8,000.50" in text
    assert "23,040.00" in text  # the scheme total of the two years
    assert "累计缴费月数" in text
    assert f"验证码 {CODE}" in text


def test_an_english_certificate_has_english_headings_and_footer():
    (text,) = page_texts(render(certificate([row(2020)]), language="en"))

    assert "Certificate of social insurance participation and contributions" in " ".join(text.split())
    assert "Contribution base (yuan)" in " ".join(text.split())
    assert "Page 1 of 1" in text


def test_long_history_splits_across_pages_with_the_header_and_code_on_each():
    rows = [row(1990 + i % 30, province="广东省" if i >= 40 else "北京市") for i in range(100)]

    pages = page_texts(render(certificate(rows)))

    assert len(pages) == 4
    for number, text in enumerate(pages, start=1):
        assert f"验证码 {CODE}" in text
        assert f"第 {number} 页 / 共 4 页" in text
    # The history fills three pages, each with its header; the issuer, seal and validity keep together.
    assert all("缴费基数（元）" in text for text in pages[:3])
    assert "出具机构" in pages[3] and "缴费基数（元）" not in pages[3]
    assert sum(text.count("1995-01") for text in pages) == 4  # 1995 appears in rows 5, 35, 65 and 95


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
