"""Signing secrets: made here, shown once, stored encrypted.

The worker must sign with the secret itself, so it cannot be hashed (the
Standard Webhooks spec allows either); it is encrypted with a key derived
from Django's SECRET_KEY (Fernet: AES-128-CBC with an HMAC), so a copy of
the database alone does not give it away. Changing SECRET_KEY makes stored
secrets unreadable: rotate every endpoint's secret after doing so.
"""

from __future__ import annotations

import base64
import hashlib
import secrets as random_secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, as the spec's libraries expect."""
    return PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode()


def _fernet() -> Fernet:
    key = hashlib.sha256(b"leadloop.webhooks.secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "the endpoint's secret cannot be read (was SECRET_KEY changed?); rotate it"
        ) from None
