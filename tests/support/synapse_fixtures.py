"""Pytest plugin giving tests a real Synapse homeserver.

Load it with ``-p tests.support.synapse_fixtures`` (or ``pytest_plugins``). One Synapse
is started per test session, in a temporary directory on a free 127.0.0.1 port, and
stopped when the session ends. Tests isolate themselves by creating fresh users (and
their own rooms) through the factories below rather than sharing accounts.

Fixtures:
    synapse: the running ``EmbeddedSynapse`` (session scope, synchronous).
    synapse_url: its client-server base URL.
    make_matrix_user: ``make_matrix_user(prefix="user", admin=False) -> MatrixTestUser``.
    amake_matrix_user: the same as a coroutine function (uses aiohttp).
    synapse_admin: one server admin shared by the session.

When a test that used ``synapse`` fails, the end of Synapse's log is attached to
the report.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.embedded.synapse import EmbeddedSynapse, RegisteredUser, find_free_port

logger = logging.getLogger(__name__)

_SERVER_KEY = pytest.StashKey[EmbeddedSynapse]()
START_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class MatrixTestUser:
    """A freshly registered account on the test homeserver."""

    localpart: str
    user_id: str
    password: str = field(repr=False)
    access_token: str = field(repr=False)
    device_id: str
    admin: bool = False


def fresh_localpart(prefix: str = "user") -> str:
    """Return ``prefix`` plus a random suffix, unique for the session."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}".lower()


def _to_test_user(
    localpart: str, password: str, admin: bool, reg: RegisteredUser
) -> MatrixTestUser:
    return MatrixTestUser(
        localpart=localpart,
        user_id=reg.user_id,
        password=password,
        access_token=reg.access_token,
        device_id=reg.device_id,
        admin=admin,
    )


def _require_running(server: EmbeddedSynapse) -> None:
    if not server.is_running:
        pytest.fail(f"the session's Synapse is not running\n{server.log_tail(80)}")


@pytest.fixture(scope="session")
def synapse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedSynapse]:
    """One real Synapse for the whole session (bcrypt_rounds=4, testing=True)."""
    pytest.importorskip("synapse", reason="matrix-synapse is not installed")
    server = EmbeddedSynapse(
        tmp_path_factory.mktemp("synapse"),
        port=find_free_port(),
        bcrypt_rounds=4,
        testing=True,
    )
    server.start(timeout=START_TIMEOUT)
    request.config.stash[_SERVER_KEY] = server
    try:
        yield server
    finally:
        code = server.stop()
        del request.config.stash[_SERVER_KEY]
        if code not in (0, None):
            logger.warning("Synapse exited with code %s\n%s", code, server.log_tail())


@pytest.fixture(scope="session")
def synapse_url(synapse: EmbeddedSynapse) -> str:
    """Client-server API base URL of the session's Synapse."""
    return synapse.base_url


@pytest.fixture(scope="session")
def make_matrix_user(synapse: EmbeddedSynapse) -> Callable[..., MatrixTestUser]:
    """Factory registering a new user with a unique, uuid-suffixed localpart."""

    def make(
        prefix: str = "user", *, admin: bool = False, displayname: str | None = None
    ) -> MatrixTestUser:
        _require_running(synapse)
        localpart = fresh_localpart(prefix)
        password = uuid.uuid4().hex
        reg = synapse.register(localpart, password, admin, displayname=displayname)
        return _to_test_user(localpart, password, admin, reg)

    return make


@pytest.fixture(scope="session")
def amake_matrix_user(synapse: EmbeddedSynapse) -> Callable[..., Awaitable[MatrixTestUser]]:
    """Async factory registering a new user with a unique, uuid-suffixed localpart."""

    async def make(
        prefix: str = "user", *, admin: bool = False, displayname: str | None = None
    ) -> MatrixTestUser:
        _require_running(synapse)
        localpart = fresh_localpart(prefix)
        password = uuid.uuid4().hex
        reg = await synapse.aregister(localpart, password, admin, displayname=displayname)
        return _to_test_user(localpart, password, admin, reg)

    return make


@pytest.fixture(scope="session")
def synapse_admin(make_matrix_user: Callable[..., MatrixTestUser]) -> MatrixTestUser:
    """A server admin shared by the session, for tests that call the admin API."""
    return make_matrix_user("admin", admin=True)


def _interesting_tail(server: EmbeddedSynapse, lines: int = 60) -> str:
    # Access and sync-cache lines drown everything else in testing mode.
    noise = (" - synapse.access.http", " - synapse.util.caches.response_cache ")
    kept = [ln for ln in server.log_tail(400).splitlines() if not any(n in ln for n in noise)]
    return "\n".join(kept[-lines:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, pytest.TestReport]:
    report: pytest.TestReport = yield
    server = item.config.stash.get(_SERVER_KEY, None)
    if report.failed and server is not None and "synapse" in getattr(item, "fixturenames", ()):
        report.sections.append(("Synapse log (tail)", _interesting_tail(server)))
    return report
