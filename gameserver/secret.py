"""The key that signs tokens and sessions: never one that anybody else has.

``SECRET_KEY`` from the environment wins. Without it, one process (no ``REDIS_URL``)
makes a random key on its first start and keeps it in ``<data dir>/secret_key``
(mode 0600), so that tokens survive restarts. Many processes (``REDIS_URL`` set) must
all sign with one key, which no process can make for the others: there the server
refuses to start without ``SECRET_KEY``. This module imports nothing of Django's
settings: the settings module calls it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE = "secret_key"


class MissingSecretKey(ImproperlyConfigured):
    """Raised at start when the deployment needs ``SECRET_KEY`` and has none."""


def secret_key(configured: str, data_dir: Path, redis_url: str) -> str:
    """The key to sign with: the configured one, else this data directory's own."""
    if configured:
        return configured
    if redis_url:
        raise MissingSecretKey(
            "REDIS_URL is set (many processes), so SECRET_KEY must be set too: every "
            "process must sign tokens with the same key"
        )
    try:
        return stored_key(data_dir)
    except OSError as exc:
        raise MissingSecretKey(
            f"no SECRET_KEY, and none can be kept in {data_dir} ({exc}): set SECRET_KEY, "
            "or GAMESERVER_DATA_DIR to a directory this process may write"
        ) from exc


def stored_key(data_dir: Path) -> str:
    """The key kept in ``data_dir``, made (atomically, private) if there is none yet."""
    path = data_dir / KEY_FILE
    with contextlib.suppress(FileNotFoundError):
        return read_key(path)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = data_dir / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(50))
        out.flush()
        os.fsync(out.fileno())
    try:
        # A link never replaces: of two processes starting at once, one key wins.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink()
    return read_key(path)


def read_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        raise MissingSecretKey(f"{path} holds no usable key: delete it or set SECRET_KEY")
    return key
