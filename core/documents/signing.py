"""The platform's digital signature on every document: PAdES (ETSI.CAdES.detached), made with pyHanko.

Production reads the signing key and certificate from the files that DOCUMENT_SIGNING_KEY_FILE and
DOCUMENT_SIGNING_CERT_FILE name (PEM; the key optionally encrypted with DOCUMENT_SIGNING_KEY_PASSPHRASE,
and DOCUMENT_SIGNING_CHAIN_FILE with the intermediate certificates up to the root, embedded in each
signature so that a reader can build the path). A local run makes its own self-signed certificate once,
under LOCAL_DATA_DIR/document-signing/, so that signatures validate against it (a PDF reader shows the
signer and that the file is unaltered, and calls the signer untrusted until that certificate is trusted).
"""

from __future__ import annotations

import datetime
import fcntl
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "PlatformSignature"
_LOCAL_SUBJECT = "电子文件签名（本地运行）"
_LOCAL_VALIDITY = datetime.timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class SigningFiles:
    key: Path
    certificate: Path
    chain: Path | None
    passphrase: bytes | None


def _self_signed_pair() -> tuple[bytes, bytes]:
    """A new RSA key and a self-signed certificate for document signing, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "全国统一社会保险公共服务平台"),
            x509.NameAttribute(NameOID.COMMON_NAME, _LOCAL_SUBJECT),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _LOCAL_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def _local_signing_files() -> SigningFiles:
    """A self-signed key pair under the local data folder, made on first use and kept (mode 0600)."""
    folder = Path(settings.DATA_DIR) / "document-signing"
    key_path, cert_path = folder / "key.pem", folder / "certificate.pem"
    folder.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once must not each write half of a pair.
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key_path.exists() and cert_path.exists()):
            for path, data in zip((key_path, cert_path), _self_signed_pair(), strict=True):
                path.touch(mode=0o600)
                path.write_bytes(data)
    return SigningFiles(key=key_path, certificate=cert_path, chain=None, passphrase=None)


def signing_files() -> SigningFiles:
    if settings.DOCUMENT_SIGNING_KEY_FILE:
        passphrase = settings.DOCUMENT_SIGNING_KEY_PASSPHRASE
        chain = settings.DOCUMENT_SIGNING_CHAIN_FILE
        return SigningFiles(
            key=Path(settings.DOCUMENT_SIGNING_KEY_FILE),
            certificate=Path(settings.DOCUMENT_SIGNING_CERT_FILE),
            chain=Path(chain) if chain else None,
            passphrase=passphrase.encode() if passphrase else None,
        )
    return _local_signing_files()


@cache
def _signer(files: SigningFiles) -> signers.SimpleSigner:
    (certificate,) = load_certs_from_pemder_data(files.certificate.read_bytes())
    chain = list(load_certs_from_pemder_data(files.chain.read_bytes())) if files.chain else []
    return signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=load_private_key_from_pemder_data(files.key.read_bytes(), passphrase=files.passphrase),
        cert_registry=SimpleCertificateStore.from_certs(chain),
    )


def signing_certificate() -> asn1_x509.Certificate:
    """The certificate documents are signed with now (the trust anchor of a local run)."""
    return _signer(signing_files()).signing_cert


def document_sign(pdf: bytes, *, reason: str, location: str) -> bytes:
    """`pdf` with the platform's PAdES signature over the whole file, as an incremental update."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    signed: BytesIO = signers.sign_pdf(writer, metadata, signer=_signer(signing_files()))
    return signed.getvalue()
