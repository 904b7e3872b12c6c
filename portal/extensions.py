"""Extension instances only; `create_app` wires them to the app."""

import os

import redis
from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from huey import PriorityRedisHuey, SqliteHuey
from sqlalchemy import MetaData

from portal.config import INSTANCE_PATH

# Named constraints keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()


def make_huey():
    """The task queue, highest priority first: in Redis (a sorted set) when REDIS_URL is
    set, else SqliteHuey under instance/ (the embedded mode)."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    immediate = os.environ.get("SANDESH_ENV", "").strip().lower() == "testing"
    if redis_url:
        # A Redis that takes connections and never answers must not hang a request: connect
        # within 2 s, every reply within 3 s (the consumer's blocking read waits 1 s).
        pool = redis.ConnectionPool.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=3, health_check_interval=30
        )
        return PriorityRedisHuey("sandesh", connection_pool=pool, immediate=immediate)
    INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("sandesh", filename=str(INSTANCE_PATH / "huey.db"), immediate=immediate)


huey = make_huey()
