"""Generate and persist secrets and credentials files readable only by their owner.

Every file written here ends up with mode 0600. Writes go to a temporary file in the
same directory that is created with 0600 from the start and then renamed over the
target, so a secret is never briefly world-readable and a crash never leaves half a
file behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import secrets as _stdlib_secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "ensure_private",
    "ensure_private_dir",
    "generate_secret",
    "load_or_create_secret",
    "load_or_create_signing_key",
    "read_json",
    "write_private_json",
    "write_private_text",
]


def generate_secret(nbytes: int = 32) -> str:
    """Return a new URL-safe random secret carrying ``nbytes`` bytes of entropy."""
    return _stdlib_secrets.token_urlsafe(nbytes)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and restrict it to its owner (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def ensure_private(path: Path) -> None:
    """Tighten an existing file to 0600, warning if it was readable by others."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != PRIVATE_FILE_MODE:
        if mode & 0o077:
            logger.warning("%s had mode %o; restricting it to 0600", path, mode)
        os.chmod(path, PRIVATE_FILE_MODE)


def write_private_text(path: Path, text: str) -> None:
    """Atomically write ``text`` to ``path`` with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with 0600 already, unaffected by a lax umask.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, PRIVATE_FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def write_private_json(path: Path, data: Any) -> None:
    """Atomically write ``data`` as indented JSON to ``path`` with mode 0600."""
    write_private_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any | None:
    """Return the JSON stored at ``path``, or ``None`` if the file does not exist."""
    try:
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def load_or_create_secret(path: Path, nbytes: int = 32) -> str:
    """Return the secret stored in ``path``, creating it (mode 0600) on first use.

    An existing file is reused as is (surrounding whitespace stripped) and its mode
    is tightened to 0600 if needed. An empty file counts as missing.
    """
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = ""
    if value:
        ensure_private(path)
        return value
    value = generate_secret(nbytes)
    write_private_text(path, value + "\n")
    logger.info("generated new secret file %s", path)
    return value


def load_or_create_signing_key(path: Path) -> str:
    """Return the Matrix ed25519 signing key in ``path``, generating it on first use.

    The file uses Synapse's ``signing_key_path`` format (``ed25519 <key id> <base64>``)
    and is written with mode 0600. Needs ``signedjson``, which Synapse depends on.
    """
    # Imported lazily: signedjson only comes with the "embedded" extra (via Synapse).
    from signedjson.key import (
        generate_signing_key,
        read_signing_keys,
        write_signing_keys,
    )

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if text.strip():
        read_signing_keys(text.splitlines())  # fail early on a corrupt key file
        ensure_private(path)
        return text

    key_id = "a_" + _stdlib_secrets.token_hex(2)
    buf = io.StringIO()
    write_signing_keys(buf, [generate_signing_key(key_id)])
    text = buf.getvalue()
    write_private_text(path, text)
    logger.info("generated new Matrix signing key %s in %s", key_id, path)
    return text
