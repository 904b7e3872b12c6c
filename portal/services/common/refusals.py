"""Refusals shared by every part of setting a school up: why a school, teacher, user or token
could not be made, in the reader's language."""

import sqlalchemy as sa

from portal.extensions import db


class SetupError(ValueError):
    """Why a school, teacher, user or token could not be made; `str()` is the translated reason."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.reason)


def must_be_new(condition, reason) -> None:
    if db.session.scalar(sa.select(sa.exists().where(condition))):
        raise SetupError(reason)
