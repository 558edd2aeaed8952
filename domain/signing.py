"""Signed chain heads: a head signed with the operator's Ed25519 key can be checked by anyone
holding the public key, so a rewritten archive cannot pass for the one whose heads were signed.

The message signed is ``f"{watch}\\n{index}\\n{head_hex}"`` (index: the head's position in its
watch's chain, from 1), through the ``cryptography`` package. Keys are PEM (PKCS#8 private,
SubjectPublicKeyInfo public) or the raw 32 bytes in base64.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class SigningKeyError(ValueError):
    """A key that cannot be read: a one-line reason, never the key itself."""


def message(watch: str, index: int, head: str) -> bytes:
    return f"{watch}\n{index}\n{head}".encode()


def private_key(text: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return _key(text, "signing key", Ed25519PrivateKey, lambda pem: load_pem_private_key(pem, password=None),
                Ed25519PrivateKey.from_private_bytes)  # fmt: skip


def public_key(text: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return _key(text, "public key", Ed25519PublicKey, load_pem_public_key, Ed25519PublicKey.from_public_bytes)


def _key(text: str, what: str, kind: type, from_pem: Any, from_raw: Any) -> Any:
    """A key from PEM or from its 32 raw bytes in base64; a one-line error that never quotes it."""
    text = text.strip()
    try:
        key = (
            from_pem(text.encode())
            if text.startswith("-----BEGIN")
            else from_raw(base64.b64decode(text, validate=True))
        )
    except (ValueError, TypeError, binascii.Error):
        raise SigningKeyError(f"the {what} is neither an Ed25519 PEM key nor 32 bytes in base64") from None
    if not isinstance(key, kind):
        raise SigningKeyError(f"the {what} is not an Ed25519 key")
    return key


def public_text(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def keygen(prefix: Path) -> tuple[Path, Path]:
    """A new key pair: PREFIX (the private key, mode 0600) and PREFIX.pub."""
    import os

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public = prefix.with_name(prefix.name + ".pub")
    if prefix.exists() or public.exists():
        raise FileExistsError(f"{prefix} or {public} exists already: not overwritten")
    fd = os.open(prefix, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public.write_text(public_text(key.public_key()), encoding="ascii")
    return prefix, public


@dataclass(frozen=True)
class Signed:
    watch: str
    index: int
    head: str
    signature: str  # base64


def sign(key: Ed25519PrivateKey, watch: str, index: int, head: str) -> Signed:
    return Signed(watch, index, head, base64.b64encode(key.sign(message(watch, index, head))).decode())


def valid(key: Ed25519PublicKey, signed: Any) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(base64.b64decode(signed.signature), message(signed.watch, signed.index, signed.head))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
