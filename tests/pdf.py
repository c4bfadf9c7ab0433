"""Reading rendered documents back in tests: their text, their fonts, their signature."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from core.documents.signing import signing_certificate


def page_texts(pdf: bytes) -> list[str]:
    """Each page's text, as a reader extracts it (through the fonts' ToUnicode maps)."""
    return [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]


def fonts_of(pdf: bytes) -> dict[str, dict]:
    """Every font the pages use, by base font name: its subtype and its descriptor's keys (where the
    embedded file is: FontFile2 for TrueType, FontFile3 for CFF, FontFile for Type 1)."""
    fonts: dict[str, dict] = {}
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            fonts[str(font["/BaseFont"])] = {
                "subtype": str(font["/Subtype"]),
                "descriptor": set(descriptor.get_object().keys()) if descriptor is not None else set(),
            }
    return fonts


def signature_status(pdf: bytes) -> PdfSignatureStatus:
    """The platform signature's status, validated against the certificate documents are signed with."""
    (signature,) = PdfFileReader(BytesIO(pdf), strict=False).embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=[signing_certificate()]))
