"""Run a private Synapse homeserver as a child process of the bot.

The homeserver listens on 127.0.0.1 only, does not federate and keeps everything it
needs in one data directory::

    data_dir/
      homeserver.yaml         generated on every start from Haven's template
      log_config.yaml         Python logging config: Synapse logs to homeserver.log
      homeserver.log          Synapse's own log
      synapse.stderr.log      the child's stdout/stderr (config errors land here)
      embedded.json           server name and port chosen on first run
      homeserver.db           SQLite database
      media_store/
      signing.key, macaroon_secret.key, registration_shared_secret.key,
      form_secret.key         secrets, mode 0600, generated once and then reused

Users are created through the shared-secret admin registration API, so public
registration stays off.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import aiohttp
import yaml

from bot.embedded.secrets import (
    ensure_private_dir,
    load_or_create_secret,
    load_or_create_signing_key,
    read_json,
    write_private_json,
    write_private_text,
)

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
# Room version 12 gives room creators implicit, unlisted power; matrix-nio 0.26 does not
# know that and would compute the bot's own power level as 0 in rooms it created.
DEFAULT_ROOM_VERSION = "11"

Progress = Callable[[str], None]

_LARGE_LIMIT: dict[str, float] = {"per_second": 10_000, "burst_count": 100_000}
_SERVER_NAME_RE = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


class SynapseError(Exception):
    """Base class for errors raised by the embedded homeserver helpers."""


class SynapseStartError(SynapseError):
    """Synapse did not come up; ``log_tail`` holds the end of its logs."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.log_tail = log_tail
        text = message
        if log_tail:
            text = f"{message}\n--- Synapse log tail ---\n{log_tail}"
        super().__init__(text)


class SynapseAPIError(SynapseError):
    """An HTTP request to Synapse failed; carries the Matrix ``errcode`` if any."""

    def __init__(self, status: int, errcode: str | None, error: str, path: str = "") -> None:
        self.status = status
        self.errcode = errcode
        self.error = error
        self.path = path
        super().__init__(f"{status} {errcode or 'HTTP error'}: {error} ({path})")


class UserExistsError(SynapseAPIError):
    """Registration failed because the user ID is taken (``M_USER_IN_USE``)."""


@dataclass(frozen=True, slots=True)
class RegisteredUser:
    """A Matrix account together with a logged-in device."""

    user_id: str
    access_token: str = field(repr=False)
    device_id: str


def rate_limit_config() -> dict[str, Any]:
    """Return Synapse ``rc_*`` settings that make every rate limit effectively unlimited.

    ``per_second: 0`` does not disable a limit in Synapse, so every limiter gets large
    numbers instead. The keys follow synapse/config/ratelimiting.py of Synapse 1.163.
    """
    big = dict(_LARGE_LIMIT)
    return {
        "rc_message": dict(big),
        "rc_registration": dict(big),
        "rc_registration_token_validity": dict(big),
        "rc_login": {"address": dict(big), "account": dict(big), "failed_attempts": dict(big)},
        "rc_admin_redaction": dict(big),
        "rc_joins": {"local": dict(big), "remote": dict(big)},
        "rc_joins_per_room": dict(big),
        "rc_key_requests": dict(big),
        "rc_3pid_validation": dict(big),
        "rc_invites": {"per_room": dict(big), "per_user": dict(big), "per_issuer": dict(big)},
        "rc_third_party_invite": dict(big),
        "rc_media_create": dict(big),
        "rc_presence": {"per_user": dict(big)},
        "rc_delayed_event_mgmt": dict(big),
        "rc_room_creation": dict(big),
        "rc_reports": dict(big),
        "rc_user_directory": dict(big),
        "rc_profile": dict(big),
        "rc_federation": {
            "window_size": 1000,
            "sleep_limit": 10_000,
            "sleep_delay": 1,
            "reject_limit": 100_000,
            "concurrent": 100,
        },
    }


def find_free_port(host: str = HOST) -> int:
    """Return a TCP port on ``host`` that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Twisted listens with SO_REUSEADDR, so a port in TIME_WAIT is fine for it too.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _registration_mac(secret: str, nonce: str, username: str, password: str, admin: bool) -> str:
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha1)
    mac.update(nonce.encode("utf-8"))
    mac.update(b"\x00")
    mac.update(username.encode("utf-8"))
    mac.update(b"\x00")
    mac.update(password.encode("utf-8"))
    mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()


def _tail_text(path: Path, since: int = 0, lines: int = 40, max_bytes: int = 64_000) -> str:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return ""
    # A rotated or truncated file is smaller than the recorded offset: show its end.
    start = since if 0 <= since <= size else 0
    start = max(start, size - max_bytes)
    with path.open("rb") as fh:
        fh.seek(start)
        data = fh.read()
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def _api_error(status: int, body: bytes | str, path: str) -> SynapseAPIError:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    errcode: str | None = None
    error = body.strip()[:500]
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        errcode = payload.get("errcode")
        error = str(payload.get("error", error))
    cls = UserExistsError if errcode == "M_USER_IN_USE" else SynapseAPIError
    return cls(status, errcode, error, path)


class EmbeddedSynapse:
    """A Synapse homeserver run as a child process, configured and owned by Haven.

    The first start generates configuration and secrets in ``data_dir``; later starts
    reuse the secrets, the database and the port chosen the first time (unless
    ``port`` is given). ``homeserver.yaml`` is regenerated from the template on each
    start; use ``extra_config`` for top-level overrides rather than editing it.

    Args:
        data_dir: Directory holding config, secrets, database and logs (made 0700).
        server_name: Matrix server name; fixed once the database exists.
        port: Port for the client listener on 127.0.0.1. ``None`` reuses the
            persisted port or picks a free one on first run.
        bcrypt_rounds: Password hashing cost; 4 makes test registrations cheap.
        testing: Throwaway-server tuning: access log on, user directory searches all
            users, shorter SIGTERM grace period.
        extra_config: Top-level keys merged over the generated ``homeserver.yaml``.
    """

    CONFIG_FILE = "homeserver.yaml"
    LOG_CONFIG_FILE = "log_config.yaml"
    LOG_FILE = "homeserver.log"
    STDERR_FILE = "synapse.stderr.log"
    STATE_FILE = "embedded.json"
    PID_FILE = "synapse.pid"
    DATABASE_FILE = "homeserver.db"
    SIGNING_KEY_FILE = "signing.key"
    MACAROON_SECRET_FILE = "macaroon_secret.key"
    REGISTRATION_SECRET_FILE = "registration_shared_secret.key"
    FORM_SECRET_FILE = "form_secret.key"

    def __init__(
        self,
        data_dir: Path,
        server_name: str = "haven.local",
        port: int | None = None,
        *,
        bcrypt_rounds: int = 12,
        testing: bool = False,
        extra_config: Mapping[str, Any] | None = None,
    ) -> None:
        if not _SERVER_NAME_RE.match(server_name):
            raise ValueError(f"invalid Matrix server name: {server_name!r}")
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.server_name = server_name
        self.bcrypt_rounds = bcrypt_rounds
        self.testing = testing
        self.extra_config: dict[str, Any] = dict(extra_config or {})
        self.stop_grace = 5.0 if testing else 30.0

        state = read_json(self.state_path) or {}
        stored_name = state.get("server_name")
        if stored_name and stored_name != server_name and self.database_path.exists():
            raise SynapseError(
                f"{self.data_dir} holds a homeserver for {stored_name!r}; Synapse cannot "
                f"rename it to {server_name!r}. Use another data directory."
            )
        if port is None:
            stored_port = state.get("port")
            port = int(stored_port) if stored_port else find_free_port()
        self.port = port

        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._log_offsets: dict[Path, int] = {}
        self._registration_secret: str | None = None
        self._atexit_registered = False
        self.started_in: float | None = None

    # -- paths -------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """Path of the generated ``homeserver.yaml``."""
        return self.data_dir / self.CONFIG_FILE

    @property
    def log_path(self) -> Path:
        """Path of Synapse's log file."""
        return self.data_dir / self.LOG_FILE

    @property
    def stderr_path(self) -> Path:
        """Path of the file receiving the child's stdout and stderr."""
        return self.data_dir / self.STDERR_FILE

    @property
    def state_path(self) -> Path:
        """Path of the JSON file persisting server name and port."""
        return self.data_dir / self.STATE_FILE

    @property
    def database_path(self) -> Path:
        """Path of the SQLite database."""
        return self.data_dir / self.DATABASE_FILE

    @property
    def secret_paths(self) -> dict[str, Path]:
        """Files holding secrets, keyed by the Synapse option that points to them."""
        return {
            "signing_key_path": self.data_dir / self.SIGNING_KEY_FILE,
            "macaroon_secret_key_path": self.data_dir / self.MACAROON_SECRET_FILE,
            "registration_shared_secret_path": self.data_dir / self.REGISTRATION_SECRET_FILE,
            "form_secret_path": self.data_dir / self.FORM_SECRET_FILE,
        }

    @property
    def base_url(self) -> str:
        """Client-server API base URL, e.g. ``http://127.0.0.1:8448``."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """PID of the running Synapse child, if any."""
        return self._process.pid if self._process is not None else None

    @property
    def is_running(self) -> bool:
        """Whether the Synapse child process exists and has not exited."""
        return self._process is not None and self._process.poll() is None

    def user_id(self, localpart: str) -> str:
        """Return the full Matrix ID for ``localpart`` on this server."""
        return f"@{localpart}:{self.server_name}"

    # -- configuration -----------------------------------------------------------

    def prepare(self) -> None:
        """Create the data directory, secrets, log config and ``homeserver.yaml``.

        Idempotent: existing secrets are reused. ``start`` calls this itself.
        """
        ensure_private_dir(self.data_dir)
        paths = self.secret_paths
        load_or_create_signing_key(paths["signing_key_path"])
        load_or_create_secret(paths["macaroon_secret_key_path"], 32)
        self._registration_secret = load_or_create_secret(
            paths["registration_shared_secret_path"], 32
        )
        load_or_create_secret(paths["form_secret_path"], 32)

        write_private_text(self.data_dir / self.LOG_CONFIG_FILE, self._render_log_config())
        write_private_text(self.config_path, self._render_config())
        write_private_json(self.state_path, {"server_name": self.server_name, "port": self.port})

    def render_config(self) -> dict[str, Any]:
        """Return the ``homeserver.yaml`` content as a dict (no secrets inline)."""
        d = self.data_dir
        config: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.base_url}/",
            "report_stats": False,
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": [HOST],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    # "client" also mounts /_synapse/admin and /health.
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(self.database_path)}},
            "log_config": str(d / self.LOG_CONFIG_FILE),
            "media_store_path": str(d / "media_store"),
            **{key: str(path) for key, path in self.secret_paths.items()},
            "enable_registration": False,
            "allow_guest_access": False,
            "bcrypt_rounds": self.bcrypt_rounds,
            "default_room_version": DEFAULT_ROOM_VERSION,
            "federation_domain_whitelist": [],
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "presence": {"enabled": False},
            # A finished /sync answer is otherwise replayed for 2 minutes to an identical
            # request: a fresh Haven database logging in with the same device then gets an
            # old since-token and would handle commands an earlier install already answered.
            "caches": {"sync_response_cache_duration": 0},
            "url_preview_enabled": False,
            "enable_metrics": False,
            "serve_server_wellknown": False,
            "user_directory": {"enabled": True, "search_all_users": self.testing},
            **rate_limit_config(),
        }
        config.update(self.extra_config)
        return config

    def _render_config(self) -> str:
        header = (
            "# Generated by Haven (bot.embedded.synapse) on every start; edits are lost.\n"
            "# Secrets live in the *_path files next to this one.\n"
        )
        return header + yaml.safe_dump(self.render_config(), sort_keys=False)

    def _render_log_config(self) -> str:
        access_level = "INFO" if self.testing else "WARNING"
        config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - "
                    "%(request)s - %(message)s"
                }
            },
            "filters": {
                "context": {
                    "()": "synapse.logging.context.LoggingContextFilter",
                    "request": "",
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.handlers.RotatingFileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "maxBytes": 10_000_000,
                    "backupCount": 3,
                    "filters": ["context"],
                    "encoding": "utf8",
                }
            },
            "loggers": {
                "synapse.storage.SQL": {"level": "WARNING"},
                "synapse.access.http": {"level": access_level},
                "twisted": {"level": "WARNING"},
            },
            "root": {"level": "INFO", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        return yaml.safe_dump(config, sort_keys=False)

    def _load_registration_secret(self) -> str:
        if self._registration_secret is None:
            path = self.secret_paths["registration_shared_secret_path"]
            try:
                self._registration_secret = path.read_text(encoding="utf-8").strip()
            except FileNotFoundError as exc:
                raise SynapseError(f"no registration secret at {path}; start first") from exc
        return self._registration_secret

    # -- process management --------------------------------------------------------

    def _runs_our_config(self, pid: int) -> bool:
        # A zombie or exited process has an empty or missing cmdline.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\x00")
        except OSError:
            return False
        return str(self.config_path).encode() in cmdline

    def _reap_stale_process(self) -> None:
        """Terminate a Synapse left running on this data dir, e.g. by a crashed bot."""
        pid_path = self.data_dir / self.PID_FILE
        try:
            pid = int(pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        if self._runs_our_config(pid):
            logger.warning("stopping stale Synapse (pid %s) on %s", pid, self.data_dir)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + self.stop_grace
            while time.monotonic() < deadline and self._runs_our_config(pid):
                time.sleep(0.1)
            if self._runs_our_config(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.2)
        pid_path.unlink(missing_ok=True)

    def _launch(self, progress: Progress | None) -> float:
        if self._process is not None:  # exited on its own since the last start
            self._cleanup_process()
        self.prepare()
        self._reap_stale_process()
        if not _port_is_free(self.port):
            raise SynapseStartError(
                f"port {self.port} on {HOST} is already in use; pass another port or "
                f"remove 'port' from {self.state_path}"
            )
        for path in (self.log_path, self.stderr_path):
            try:
                self._log_offsets[path] = path.stat().st_size
            except FileNotFoundError:
                self._log_offsets[path] = 0
        if progress:
            progress(f"starting Synapse for {self.server_name} on {HOST}:{self.port}…")
        logger.info("starting Synapse for %s on %s", self.server_name, self.base_url)
        self._stderr = self.stderr_path.open("ab")
        started = time.monotonic()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._stderr,
            stderr=subprocess.STDOUT,
            # Own session: a terminal Ctrl-C goes to the bot, which then stops Synapse
            # in order, instead of killing Synapse mid-request.
            start_new_session=True,
        )
        write_private_text(self.data_dir / self.PID_FILE, f"{self._process.pid}\n")
        if not self._atexit_registered:
            atexit.register(self._stop_at_exit)
            self._atexit_registered = True
        return started

    def _check_alive(self, started: float, timeout: float) -> None:
        assert self._process is not None
        code = self._process.poll()
        if code is not None:
            tail = self.log_tail()
            self._cleanup_process()
            raise SynapseStartError(f"Synapse exited with code {code} during start", tail)
        if time.monotonic() - started > timeout:
            tail = self.log_tail()
            self.stop()
            raise SynapseStartError(f"Synapse did not answer within {timeout:.0f} s", tail)

    def _ready(self, started: float, progress: Progress | None) -> None:
        self.started_in = time.monotonic() - started
        logger.info("Synapse ready at %s in %.2f s", self.base_url, self.started_in)
        if progress:
            progress(f"Synapse ready in {self.started_in:.1f} s")

    def start(self, progress: Progress | None = None, timeout: float = 60.0) -> None:
        """Start Synapse and block until its client API answers.

        Args:
            progress: Called with short status lines (about one a second) while waiting.
            timeout: Seconds to wait before giving up and killing the process.

        Raises:
            SynapseStartError: the process exited or did not answer in time; the
                message includes the tail of Synapse's logs.
        """
        if self.is_running:
            return
        started = self._launch(progress)
        next_report = started + 1.0
        while True:
            self._check_alive(started, timeout)
            if self._probe():
                break
            now = time.monotonic()
            if progress and now >= next_report:
                progress(f"starting Synapse… {now - started:.1f} s")
                next_report += 1.0
            time.sleep(0.1)
        self._ready(started, progress)

    async def astart(
        self,
        progress: Progress | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Async ``start``: same behaviour, without blocking the event loop."""
        if self.is_running:
            return
        started = await asyncio.to_thread(self._launch, progress)
        next_report = started + 1.0
        url = f"{self.base_url}/_matrix/client/versions"
        probe_timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=probe_timeout) as session:
            while True:
                self._check_alive(started, timeout)
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as resp:
                        if resp.status == 200:
                            break
                now = time.monotonic()
                if progress and now >= next_report:
                    progress(f"starting Synapse… {now - started:.1f} s")
                    next_report += 1.0
                await asyncio.sleep(0.1)
        self._ready(started, progress)

    def _probe(self) -> bool:
        url = f"{self.base_url}/_matrix/client/versions"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float | None = None) -> int | None:
        """Stop Synapse with SIGTERM, then SIGKILL after ``timeout`` seconds.

        Returns the exit code, or ``None`` if it was not running. Safe to call twice.
        """
        proc = self._process
        if proc is None:
            return None
        grace = self.stop_grace if timeout is None else timeout
        if proc.poll() is None:
            logger.info("stopping Synapse (pid %s)", proc.pid)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                logger.warning("Synapse ignored SIGTERM for %.0f s; killing it", grace)
                proc.kill()
                proc.wait()
        code = proc.returncode
        logger.info("Synapse exited with code %s", code)
        self._cleanup_process()
        return code

    async def astop(self, timeout: float | None = None) -> int | None:
        """Async ``stop``, run in a worker thread."""
        return await asyncio.to_thread(self.stop, timeout)

    def _cleanup_process(self) -> None:
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        (self.data_dir / self.PID_FILE).unlink(missing_ok=True)
        if self._atexit_registered:
            atexit.unregister(self._stop_at_exit)
            self._atexit_registered = False

    def _stop_at_exit(self) -> None:
        if self.is_running:
            self.stop()

    def log_tail(self, lines: int = 40) -> str:
        """Return the last lines Synapse wrote since the latest start (log and stderr)."""
        parts = []
        for path in (self.stderr_path, self.log_path):
            text = _tail_text(path, self._log_offsets.get(path, 0), lines)
            if text.strip():
                parts.append(f"[{path.name}]\n{text}")
        return "\n".join(parts)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await self.astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    # -- users (sync) ----------------------------------------------------------------

    def _request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return dict(json.loads(resp.read()))
        except urllib.error.HTTPError as exc:
            raise _api_error(exc.code, exc.read(), path) from None

    def register(
        self,
        username: str,
        password: str,
        admin: bool = False,
        *,
        displayname: str | None = None,
    ) -> RegisteredUser:
        """Create a user through the shared-secret admin API and return a session.

        Raises:
            UserExistsError: the user already exists (see ``ensure_user``).
            SynapseAPIError: any other refusal.
        """
        path = "/_synapse/admin/v1/register"
        nonce = self._request("GET", path)["nonce"]
        body = self._registration_body(nonce, username, password, admin, displayname)
        began = time.monotonic()
        result = self._request("POST", path, body)
        logger.info(
            "registered %s%s in %.2f s",
            result["user_id"],
            " (admin)" if admin else "",
            time.monotonic() - began,
        )
        return RegisteredUser(result["user_id"], result["access_token"], result["device_id"])

    def login(
        self, username: str, password: str, *, device_id: str | None = None
    ) -> RegisteredUser:
        """Log in with a password and return a new (or the given) device session."""
        result = self._request(
            "POST", "/_matrix/client/v3/login", _login_body(username, password, device_id)
        )
        return RegisteredUser(result["user_id"], result["access_token"], result["device_id"])

    def ensure_user(
        self,
        username: str,
        password: str,
        admin: bool = False,
        *,
        displayname: str | None = None,
        device_id: str | None = None,
    ) -> RegisteredUser:
        """Register ``username``, or log in if it already exists.

        An existing account keeps its admin flag and display name; ``admin`` and
        ``displayname`` only apply on creation. Pass the ``device_id`` from an earlier
        call to log in to that device again instead of adding a new one each time.
        """
        try:
            return self.register(username, password, admin, displayname=displayname)
        except UserExistsError:
            logger.info("%s already exists; logging in", self.user_id(username))
            return self.login(username, password, device_id=device_id)

    def _registration_body(
        self, nonce: str, username: str, password: str, admin: bool, displayname: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "nonce": nonce,
            "username": username,
            "password": password,
            "admin": admin,
            "mac": _registration_mac(
                self._load_registration_secret(), nonce, username, password, admin
            ),
        }
        if displayname is not None:
            body["displayname"] = displayname
        return body

    # -- users (async) -----------------------------------------------------------------

    async def _arequest(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        async with session.request(method, self.base_url + path, json=body) as resp:
            raw = await resp.read()
            if resp.status >= 400:
                raise _api_error(resp.status, raw, path)
            return dict(json.loads(raw))

    async def aregister(
        self,
        username: str,
        password: str,
        admin: bool = False,
        *,
        displayname: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> RegisteredUser:
        """Async ``register`` using aiohttp; pass ``session`` to reuse a ClientSession."""
        async with _maybe_session(session) as http:
            path = "/_synapse/admin/v1/register"
            nonce = (await self._arequest(http, "GET", path))["nonce"]
            body = self._registration_body(nonce, username, password, admin, displayname)
            result = await self._arequest(http, "POST", path, body)
        logger.info("registered %s%s", result["user_id"], " (admin)" if admin else "")
        return RegisteredUser(result["user_id"], result["access_token"], result["device_id"])

    async def alogin(
        self,
        username: str,
        password: str,
        *,
        device_id: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> RegisteredUser:
        """Async ``login`` using aiohttp."""
        async with _maybe_session(session) as http:
            result = await self._arequest(
                http,
                "POST",
                "/_matrix/client/v3/login",
                _login_body(username, password, device_id),
            )
        return RegisteredUser(result["user_id"], result["access_token"], result["device_id"])

    async def aensure_user(
        self,
        username: str,
        password: str,
        admin: bool = False,
        *,
        displayname: str | None = None,
        device_id: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> RegisteredUser:
        """Async ``ensure_user``: register, or log in if the user exists."""
        try:
            return await self.aregister(
                username, password, admin, displayname=displayname, session=session
            )
        except UserExistsError:
            logger.info("%s already exists; logging in", self.user_id(username))
            return await self.alogin(username, password, device_id=device_id, session=session)


def _login_body(username: str, password: str, device_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": username},
        "password": password,
        "initial_device_display_name": "Haven",
    }
    if device_id is not None:
        body["device_id"] = device_id
    return body


@contextlib.asynccontextmanager
async def _maybe_session(
    session: aiohttp.ClientSession | None,
) -> AsyncIterator[aiohttp.ClientSession]:
    if session is not None:
        yield session
        return
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as own:
        yield own


__all__ = [
    "DEFAULT_ROOM_VERSION",
    "HOST",
    "EmbeddedSynapse",
    "RegisteredUser",
    "SynapseAPIError",
    "SynapseError",
    "SynapseStartError",
    "UserExistsError",
    "find_free_port",
    "rate_limit_config",
]
