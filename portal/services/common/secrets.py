"""Secrets at rest: encrypted with ENCRYPTION_KEY, which may list several keys to rotate.

ENCRYPTION_KEY is one Fernet key, or several separated by commas: the first encrypts,
all of them decrypt, so a new key can be put first and old rows re-encrypted at leisure.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in current_app.config["ENCRYPTION_KEY"].split(",") if k.strip()]
    return MultiFernet([Fernet(k) for k in keys])


def encrypt(plaintext: str) -> str:
    """The encrypted form of a secret, safe to store."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The secret back; raises ValueError when no configured key opens it."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("no ENCRYPTION_KEY opens this secret") from None


def rotate(token: str) -> str:
    """Re-encrypt a stored secret with the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()
