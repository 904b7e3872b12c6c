"""Password hashing with argon2id (OWASP ASVS 5), tuned by the app's settings."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_KIB"], parallelism=1
    )


def hash_password(password: str) -> str:
    """An argon2id hash string, salt included."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether the password matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker settings than the current ones."""
    return _hasher().check_needs_rehash(stored_hash)


# Hashed once so that a login for an unknown email costs as much as one for a known email.
def dummy_verify(password: str) -> None:
    """Spend the time of one verification, so unknown emails cannot be told apart by timing."""
    verify_password(hash_password("timing-equaliser"), password)
