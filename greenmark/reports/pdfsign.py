"""PAdES signatures of PDF certificates with pyHanko, by the issuer's Ed25519 key.

The signing certificate is a self-signed X.509 certificate made at signing time from the
issuer's key (common name: the issuer's name), so a PDF reader shows who signed and
that the document is unchanged; trust comes from the key, which ``verify`` compares with
the trusted public keys, not from a certificate authority. pyHanko and cryptography
are imported only inside functions.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from greenmark.reports.signing import IssuerKey

FIELD_NAME = "GreenmarkIssuer"


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep pyHanko's warnings (DSA support deprecated) and log lines off the terminal:
    what matters is reported as one clear message."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    saved = [(logger.propagate, logger.level) for logger in loggers]
    handler = logging.NullHandler()
    for logger in loggers:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, (propagate, level) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.propagate = propagate
            logger.setLevel(level)


def self_signed(key: IssuerKey, until: date | None = None) -> Any:
    """A self-signed X.509 certificate (cryptography) for ``key``, valid from yesterday
    to ``until`` (at least a day from now)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    end = now + timedelta(days=1)
    if until is not None:
        end = max(end, datetime(until.year, until.month, until.day, tzinfo=UTC))
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, key.name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"greenmark key {key.key_id}"),
        ]
    )
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
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(end)
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key.private, None)
    )


def sign_pdf(data: bytes, key: IssuerKey, *, number: str, until: date | None = None) -> bytes:
    """``data`` (a PDF) with a PAdES signature by ``key`` (an incremental update)."""
    from cryptography.hazmat.primitives import serialization

    with _quiet():
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko.sign.fields import SigSeedSubFilter
        from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = self_signed(key, until)
    signing_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    signing_key = asn1_keys.PrivateKeyInfo.load(
        key.private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=signing_key,
        cert_registry=SimpleCertificateStore.from_certs([signing_cert]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha512",
        subfilter=SigSeedSubFilter.PADES,
        reason=f"greenmark certificate {number}",
        name=key.name,
    )
    with _quiet():
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        signed = signers.sign_pdf(writer, meta, signer=signer)
    result: bytes = signed.getvalue()
    return result


def pdf_signature_problems(data: bytes, public_raw: bytes | None) -> list[str]:
    """What is wrong with the PDF signature of ``data``: none, more than one, not intact,
    changed after signing, or (``public_raw`` given) made by another key."""
    from cryptography import x509

    with _quiet():
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature

    try:
        with _quiet():
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            signatures = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds on damaged files
        return [f"its PDF signature cannot be read ({str(exc) or type(exc).__name__})"]
    if not signatures:
        return ["the PDF carries no PDF signature, although its data is signed"]
    if len(signatures) > 1:
        return [f"the PDF carries {len(signatures)} PDF signatures; greenmark signs once"]
    signature = signatures[0]
    try:
        with _quiet():
            from pyhanko_certvalidator import ValidationContext

            # trust comes from the key (compared below), so the signer's own certificate
            # is the only root: path building then neither fails nor fetches anything
            context = ValidationContext(trust_roots=[signature.signer_cert])
            status = validate_pdf_signature(signature, context)
    except Exception as exc:
        return [f"its PDF signature cannot be validated ({str(exc) or type(exc).__name__})"]
    problems = []
    if not (status.intact and status.valid):
        problems.append("the PDF signature does not hold: the signed bytes were changed")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the PDF was changed after it was signed (content added after signing)")
    if public_raw is not None:
        signer = x509.load_der_x509_certificate(signature.signer_cert.dump())
        key = signer.public_key()
        raw = key.public_bytes_raw() if hasattr(key, "public_bytes_raw") else b""
        if raw != public_raw:
            problems.append("the PDF is signed by another key than its certificate data")
    return problems
