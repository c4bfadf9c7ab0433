"""The document machinery (core.documents): embedded fonts, issuer and seal, statement of validity,
footer in the document's language, and the platform's signature."""

import datetime
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings
from pyhanko.sign.diff_analysis.policy_api import ModificationLevel
from pyhanko.sign.validation.status import SignatureCoverageLevel
from reportlab.pdfbase import pdfmetrics

from core.documents import Fields, Grid, Issuer, Section, Text, Verification, document_render, signing
from tests.pdf import fonts_of, page_texts, signature_status

CODE = "K7QX2M9RT4WZAB23"
URL = f"https://si.example.cn/api/v1/certificates/verify/{CODE}"
ISSUER = Issuer(name="北京市社会保险事业管理中心", seal_name="北京市社会保险事业管理中心")


def flat(text: str) -> str:
    """The text without the line breaks and spaces that a paragraph's wrapping puts in."""
    return "".join(text.split())


def render(*, rows=1, language="zh-hans", name="张三", issuer=ISSUER) -> bytes:
    grid = Grid(
        header=("险种", "起始年月", "缴费金额（元）"),
        rows=tuple(("企业职工基本养老保险", f"{2000 + i % 25}-01", "11,520.00") for i in range(rows)),
        widths=(50, 25, 25),
        numeric=(2,),
    )
    return document_render(
        kind="test.document",
        title="社会保险参保缴费证明",
        sections=[
            Section(heading=None, blocks=(Fields((("姓名", name), ("社会保障号码", "110105********002X"))),)),
            Section(heading="参保缴费记录", blocks=(Text("经查询，记录如下："), grid)),
        ],
        language=language,
        verification=Verification(code=CODE, url=URL, valid_until=datetime.date(2025, 8, 28)),
        issuer=issuer,
        issued_on=datetime.date(2025, 3, 1),
    )


def test_every_font_is_embedded_so_a_reader_without_chinese_fonts_shows_the_text():
    fonts = fonts_of(render())

    assert {name.split("+")[1].split("-")[0] for name in fonts} == {"NotoSerifSC", "NotoSansSC"}
    for name, font in fonts.items():
        # A subset (/ABCDEF+ prefix), its TrueType file inside the PDF.
        assert name[7] == "+", name
        assert font["subtype"] == "/TrueType"
        assert "/FontFile2" in font["descriptor"], name


def test_the_page_states_issuer_validity_and_where_to_verify_in_chinese():
    (text,) = page_texts(render())

    assert "社会保险参保缴费证明" in text
    assert "张三" in text
    assert "出具机构：北京市社会保险事业管理中心" in text
    assert "出具日期：2025年3月1日" in text
    assert "2025年8月28日前" in flat(text)  # the statement of validity
    assert URL in flat(text)
    assert f"验证码 {CODE}" in text  # the footer
    assert "第 1 页 / 共 1 页" in text
    assert "电子证明专用章" in text  # the seal's purpose, drawn in the seal


def test_an_english_document_has_its_footer_and_statement_in_english():
    issuer = Issuer(name="Beijing Social Insurance Agency", seal_name="北京市社会保险事业管理中心")
    (text,) = page_texts(render(language="en", issuer=issuer))

    assert "Issuing agency: Beijing Social Insurance Agency" in text
    assert "Date of issue: 1 March 2025" in text
    assert "Until28August2025" in flat(text)
    assert "Page 1 of 1" in text
    assert "北京市社会保险事业管理中心" in flat(text)  # round the seal, in Chinese as ever


def test_a_long_table_splits_across_pages_with_its_header_and_footer_on_each():
    pages = page_texts(render(rows=120))

    assert len(pages) == 4
    for number, text in enumerate(pages, start=1):
        assert "缴费金额（元）" in text
        assert f"验证码 {CODE}" in text
        assert f"第 {number} 页 / 共 4 页" in text
    assert sum(text.count("企业职工基本养老保险") for text in pages) == 120
    assert "出具机构" in pages[-1] and all("出具机构" not in text for text in pages[:-1])


def test_markup_in_a_name_is_printed_as_text():
    (text,) = page_texts(render(name="A<b>&C"))

    assert "A<b>&C" in text


def test_a_language_other_than_chinese_or_english_is_refused():
    with pytest.raises(ValueError, match="fr"):
        render(language="fr")


def test_each_documents_font_subsets_are_released_once_it_is_built():
    render(name="王五")

    assert not [name for name in pdfmetrics.getRegisteredFontNames() if name.startswith("Noto")]


def test_the_platform_signature_validates_and_covers_the_whole_file():
    status = signature_status(render())

    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.modification_level == ModificationLevel.NONE
    assert "全国统一社会保险公共服务平台" in status.signing_cert.subject.human_friendly


def test_a_changed_byte_breaks_the_signature():
    pdf = render()
    position = pdf.index(b"stream", len(pdf) // 4) + 40  # inside a content stream the signature covers

    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]

    assert signature_status(pdf).intact
    assert not signature_status(tampered).intact


def test_a_page_appended_after_signing_is_not_covered():
    pdf = render()
    extra = b"\n% appended after signing\n"

    status = signature_status(pdf + extra)

    assert status.coverage != SignatureCoverageLevel.ENTIRE_FILE


def test_a_local_run_makes_its_signing_pair_once_under_the_data_folder(tmp_path):
    with override_settings(DATA_DIR=tmp_path, DOCUMENT_SIGNING_KEY_FILE="", DOCUMENT_SIGNING_CERT_FILE=""):
        first = signing.signing_files()
        key = first.key.read_bytes()
        second = signing.signing_files()

    assert first.key == tmp_path / "document-signing" / "key.pem"
    assert second.key.read_bytes() == key
    assert stat.S_IMODE(os.stat(first.key).st_mode) == 0o600


def test_production_signs_with_the_configured_key_and_certificate(tmp_path):
    key_pem, cert_pem = signing._self_signed_pair()
    (tmp_path / "key.pem").write_bytes(key_pem)
    (tmp_path / "cert.pem").write_bytes(cert_pem)

    with override_settings(
        DOCUMENT_SIGNING_KEY_FILE=str(tmp_path / "key.pem"),
        DOCUMENT_SIGNING_CERT_FILE=str(tmp_path / "cert.pem"),
    ):
        status = signature_status(render())
        configured = signing.signing_certificate()

    assert status.intact and status.trusted
    assert status.signing_cert.sha256 == configured.sha256
    assert configured.dump() != signing.signing_certificate().dump()  # not the local run's certificate


def test_documents_built_at_once_in_threads_each_print_their_own_text():
    names = ["赵一", "钱二", "赵一", "孙三"]  # two share a character set, and so a font subset
    with ThreadPoolExecutor(max_workers=4) as pool:
        pdfs = list(pool.map(lambda name: render(name=name), names))

    for name, pdf in zip(names, pdfs, strict=True):
        (text,) = page_texts(pdf)
        assert f"姓名 {name}" in text
        assert signature_status(pdf).intact
    assert not [name for name in pdfmetrics.getRegisteredFontNames() if name.startswith("Noto")]
