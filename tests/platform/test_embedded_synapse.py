"""Tests for the embedded Synapse homeserver and Haven's space provisioning.

Run with ``pytest -p tests.support.synapse_fixtures tests/platform/test_embedded_synapse.py``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import stat
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from nio import AsyncClient, AsyncClientConfig
from nio.responses import JoinResponse, RoomGetStateResponse, RoomLeaveResponse, SyncResponse

from bot.embedded import secrets as hsecrets
from bot.embedded.provision import (
    LAYOUT_FILE,
    ROOM_SPECS,
    ProvisionError,
    SpaceLayout,
    check,
    provision_space,
)
from bot.embedded.synapse import (
    EmbeddedSynapse,
    SynapseAPIError,
    SynapseError,
    SynapseStartError,
    UserExistsError,
    find_free_port,
)
from tests.support.synapse_fixtures import MatrixTestUser, fresh_localpart

pytestmark = pytest.mark.matrix

logger = logging.getLogger(__name__)

MakeUser = Callable[..., MatrixTestUser]
AMakeUser = Callable[..., Awaitable[MatrixTestUser]]


def _get_json(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@asynccontextmanager
async def nio_client(url: str, user: MatrixTestUser) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(url, user.user_id, config=AsyncClientConfig(encryption_enabled=False))
    client.access_token = user.access_token
    client.device_id = user.device_id
    try:
        yield client
    finally:
        await client.close()


async def room_state(client: AsyncClient, room_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    resp = check(await client.room_get_state(room_id), RoomGetStateResponse, "get state")
    return {(ev["type"], ev["state_key"]): ev for ev in resp.events}


# -- server, configuration, users ------------------------------------------------------


def test_server_answers_client_admin_and_health(synapse: EmbeddedSynapse) -> None:
    status, versions = _get_json(f"{synapse.base_url}/_matrix/client/versions")
    assert status == 200 and versions["versions"]
    with urllib.request.urlopen(f"{synapse.base_url}/health", timeout=5) as resp:
        assert resp.read() == b"OK"
    status, nonce = _get_json(f"{synapse.base_url}/_synapse/admin/v1/register")
    assert status == 200 and nonce["nonce"]
    assert synapse.base_url.startswith("http://127.0.0.1:")


def test_generated_config_is_local_only(synapse: EmbeddedSynapse) -> None:
    config = yaml.safe_load(synapse.config_path.read_text())
    assert config["report_stats"] is False
    [listener] = config["listeners"]
    assert listener["bind_addresses"] == ["127.0.0.1"]
    assert listener["type"] == "http"
    assert [r["names"] for r in listener["resources"]] == [["client"]]
    assert config["federation_domain_whitelist"] == []
    assert config["trusted_key_servers"] == []
    assert config["presence"] == {"enabled": False}
    assert config["bcrypt_rounds"] == 4
    assert config["database"]["name"] == "sqlite3"
    log_config = yaml.safe_load(Path(config["log_config"]).read_text())
    assert log_config["handlers"]["file"]["filename"] == str(synapse.log_path)
    assert "STARTING SERVER" in synapse.log_path.read_text()
    text = synapse.config_path.read_text()
    for path in synapse.secret_paths.values():
        assert path.read_text().strip() not in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_every_synapse_rate_limit_is_raised(synapse: EmbeddedSynapse) -> None:
    """Parse the config with Synapse itself so a new rc_* limit in an upgrade shows up."""
    from synapse.config import ratelimiting
    from synapse.config.homeserver import HomeServerConfig

    source = Path(ratelimiting.__file__).read_text()
    keys = set(re.findall(r'"(rc_[a-z_]+)', source))
    config = yaml.safe_load(synapse.config_path.read_text())
    legacy = {"rc_messages", "rc_messages_per_second", "rc_message_burst_count"}
    # Remote media downloads are limited in bytes and only matter with federation.
    assert keys - legacy - {"rc_remote_media_downloads"} <= set(config)

    hs_config = HomeServerConfig.load_config("", ["-c", str(synapse.config_path)])
    limits = {
        name: value
        for name, value in vars(hs_config.ratelimiting).items()
        if isinstance(value, ratelimiting.RatelimitSettings) and name != "remote_media_downloads"
    }
    assert len(limits) >= 20
    slow = {n: v for n, v in limits.items() if v.per_second < 1000 or v.burst_count < 1000}
    assert not slow


def test_register_admin_and_plain_user(synapse: EmbeddedSynapse) -> None:
    began = time.monotonic()
    admin = synapse.register(fresh_localpart("adm"), "admin-pw", admin=True)
    plain = synapse.register(fresh_localpart("usr"), "user-pw", displayname="Plain")
    elapsed = time.monotonic() - began
    logger.info("two registrations took %.3f s", elapsed)
    assert admin.user_id.endswith(":haven.local") and admin.device_id and admin.access_token

    status, whoami = _get_json(
        f"{synapse.base_url}/_matrix/client/v3/account/whoami", plain.access_token
    )
    assert status == 200 and whoami["user_id"] == plain.user_id

    url = f"{synapse.base_url}/_synapse/admin/v2/users/{plain.user_id}"
    status, info = _get_json(url, admin.access_token)
    assert status == 200 and info["admin"] is False and info["displayname"] == "Plain"
    status, info = _get_json(
        f"{synapse.base_url}/_synapse/admin/v2/users/{admin.user_id}", admin.access_token
    )
    assert status == 200 and info["admin"] is True
    status, err = _get_json(url, plain.access_token)
    assert status == 403 and err["errcode"] == "M_FORBIDDEN"


def test_existing_user_raises_and_ensure_user_logs_in(synapse: EmbeddedSynapse) -> None:
    name = fresh_localpart("dup")
    first = synapse.register(name, "pw-1")
    with pytest.raises(UserExistsError) as info:
        synapse.register(name, "pw-1")
    assert info.value.errcode == "M_USER_IN_USE"
    again = synapse.ensure_user(name, "pw-1")
    assert again.user_id == first.user_id and again.access_token != first.access_token
    assert again.device_id != first.device_id
    same_device = synapse.ensure_user(name, "pw-1", device_id=first.device_id)
    assert same_device.device_id == first.device_id
    with pytest.raises(SynapseAPIError) as info:
        synapse.ensure_user(name, "wrong")
    assert info.value.errcode == "M_FORBIDDEN"


async def test_async_registration_and_factories(
    synapse: EmbeddedSynapse, amake_matrix_user: AMakeUser, make_matrix_user: MakeUser
) -> None:
    a = await amake_matrix_user("async")
    b = make_matrix_user("sync")
    assert a.user_id != b.user_id and a.localpart.startswith("async-")
    created = await synapse.aensure_user(fresh_localpart("ae"), "pw", admin=True)
    relogged = await synapse.aensure_user(created.user_id.split(":")[0][1:], "pw")
    assert relogged.user_id == created.user_id
    with pytest.raises(UserExistsError):
        await synapse.aregister(a.localpart, "x")


def test_registration_timing(synapse: EmbeddedSynapse) -> None:
    n = 10
    began = time.monotonic()
    for _ in range(n):
        synapse.register(fresh_localpart("t"), "pw")
    per_user = (time.monotonic() - began) / n
    logger.info("registration: %.1f ms per user (bcrypt_rounds=4)", per_user * 1000)
    assert per_user < 2.0


# -- lifecycle on private data dirs ---------------------------------------------------


async def test_restart_reuses_config_secrets_and_port(tmp_path: Path) -> None:
    data = tmp_path / "hs"
    lines: list[str] = []
    first = EmbeddedSynapse(data, bcrypt_rounds=4)
    first.start(progress=lines.append)
    assert lines[0].startswith("starting Synapse") and lines[-1].startswith("Synapse ready")
    pid = first.pid
    assert pid is not None and (data / EmbeddedSynapse.PID_FILE).exists()
    user = first.register("keeper", "pw")
    secrets_before = {k: p.read_bytes() for k, p in first.secret_paths.items()}
    port = first.port
    assert first.stop() == 0
    assert not first.is_running and first.stop() is None
    assert not (data / EmbeddedSynapse.PID_FILE).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    assert _mode(data) == 0o700
    for path in first.secret_paths.values():
        assert _mode(path) == 0o600, path
    assert _mode(first.state_path) == 0o600
    assert json.loads(first.state_path.read_text())["port"] == port

    second = EmbeddedSynapse(data, bcrypt_rounds=4)
    assert second.port == port
    async with second:
        assert second.is_running
        assert {k: p.read_bytes() for k, p in second.secret_paths.items()} == secrets_before
        status, whoami = _get_json(
            f"{second.base_url}/_matrix/client/v3/account/whoami", user.access_token
        )
        assert status == 200 and whoami["user_id"] == user.user_id
        assert (await second.aensure_user("keeper", "pw")).user_id == user.user_id
    assert not second.is_running

    new_port = find_free_port()
    with EmbeddedSynapse(data, port=new_port, bcrypt_rounds=4) as third:
        assert third.is_running and third.base_url.endswith(f":{new_port}")
        assert json.loads(third.state_path.read_text())["port"] == new_port
    assert not third.is_running
    assert EmbeddedSynapse(data).port == new_port


def test_start_replaces_a_stale_synapse_on_the_same_dir(tmp_path: Path) -> None:
    """A bot that crashed leaves Synapse running; the next start stops it first."""
    orphan = EmbeddedSynapse(tmp_path / "hs", bcrypt_rounds=4, testing=True)
    orphan.start()
    fresh = EmbeddedSynapse(tmp_path / "hs", bcrypt_rounds=4, testing=True)
    try:
        fresh.start()
        assert fresh.is_running and fresh.pid != orphan.pid
        assert not orphan.is_running
    finally:
        fresh.stop()
        orphan.stop()


def test_server_name_is_fixed_once_database_exists(tmp_path: Path) -> None:
    data = tmp_path / "hs"
    data.mkdir()
    (data / EmbeddedSynapse.DATABASE_FILE).touch()
    hsecrets.write_private_json(data / EmbeddedSynapse.STATE_FILE, {"server_name": "a.local"})
    with pytest.raises(SynapseError, match=r"a\.local"):
        EmbeddedSynapse(data, server_name="b.local")


def test_port_in_use_is_reported_before_launch(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = EmbeddedSynapse(tmp_path / "hs", port=sock.getsockname()[1], bcrypt_rounds=4)
        with pytest.raises(SynapseStartError, match="already in use"):
            server.start()
    assert not server.is_running


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param(
            {"database": {"name": "sqlite3", "args": {"database": "/nonexistent/x/h.db"}}},
            "unable to open database file",
            id="crash-after-logging-setup",
        ),
        pytest.param({"listeners": "bogus"}, "Error in configuration", id="config-error"),
    ],
)
def test_crashed_start_reports_log_tail(
    tmp_path: Path, extra: dict[str, Any], expected: str
) -> None:
    server = EmbeddedSynapse(tmp_path / "hs", bcrypt_rounds=4, extra_config=extra)
    with pytest.raises(SynapseStartError) as info:
        server.start(timeout=60)
    assert "exited with code" in str(info.value)
    assert expected in info.value.log_tail
    assert expected in str(info.value)
    assert not server.is_running
    assert not (tmp_path / "hs" / EmbeddedSynapse.PID_FILE).exists()


def test_start_timeout_kills_the_process(tmp_path: Path) -> None:
    server = EmbeddedSynapse(tmp_path / "hs", bcrypt_rounds=4, testing=True)
    with pytest.raises(SynapseStartError, match="did not answer within"):
        server.start(timeout=0.3)
    assert not server.is_running and server.pid is None


# -- secrets helpers ---------------------------------------------------------------------


def test_secret_files_are_private_even_with_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        secret = hsecrets.load_or_create_secret(tmp_path / "s.key", 16)
        hsecrets.write_private_json(tmp_path / "creds.json", {"token": "t"})
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s.key") == 0o600 and _mode(tmp_path / "creds.json") == 0o600
    assert hsecrets.load_or_create_secret(tmp_path / "s.key") == secret
    assert hsecrets.read_json(tmp_path / "creds.json") == {"token": "t"}
    assert hsecrets.read_json(tmp_path / "missing.json") is None

    loose = tmp_path / "loose.key"
    loose.write_text("kept\n")
    loose.chmod(0o644)
    assert hsecrets.load_or_create_secret(loose) == "kept"
    assert _mode(loose) == 0o600

    key = hsecrets.load_or_create_signing_key(tmp_path / "signing.key")
    assert key.startswith("ed25519 a_")
    assert hsecrets.load_or_create_signing_key(tmp_path / "signing.key") == key


# -- space provisioning ------------------------------------------------------------------


async def test_provision_space_layout_links_rules_and_invites(
    synapse: EmbeddedSynapse, amake_matrix_user: AMakeUser, tmp_path: Path
) -> None:
    bot = await amake_matrix_user("bot")
    coordinator = await amake_matrix_user("coord")
    began = time.monotonic()
    layout = await provision_space(
        synapse.base_url,
        bot.access_token,
        bot.user_id,
        coordinator.user_id,
        space_name="Haven Test",
        data_dir=tmp_path,
    )
    logger.info("provision_space took %.2f s", time.monotonic() - began)
    assert set(layout.rooms) == {spec.key for spec in ROOM_SPECS}
    assert len(set(layout.all_room_ids())) == 7
    assert SpaceLayout.load(tmp_path / LAYOUT_FILE) == layout
    assert _mode(tmp_path / LAYOUT_FILE) == 0o600

    async with nio_client(synapse.base_url, bot) as client:
        space = await room_state(client, layout.space_id)
        create = space[("m.room.create", "")]["content"]
        assert create["type"] == "m.space" and create["room_version"] == "11"
        assert space[("m.room.name", "")]["content"]["name"] == "Haven Test"
        assert space[("m.room.join_rules", "")]["content"]["join_rule"] == "invite"
        children = {k[1]: ev["content"] for k, ev in space.items() if k[0] == "m.space.child"}
        assert set(children) == set(layout.rooms.values())
        assert all(c["via"] == ["haven.local"] for c in children.values())
        users = space[("m.room.power_levels", "")]["content"]["users"]
        assert users[bot.user_id] == 100 and users[coordinator.user_id] == 100
        assert space[("m.room.member", coordinator.user_id)]["content"]["membership"] == "invite"

        for spec in ROOM_SPECS:
            room_id = layout.rooms[spec.key]
            state = await room_state(client, room_id)
            parent = state[("m.space.parent", layout.space_id)]["content"]
            assert parent == {"via": ["haven.local"], "canonical": True}
            assert "type" not in state[("m.room.create", "")]["content"]
            rules = state[("m.room.join_rules", "")]["content"]
            if spec.key in ("moderators", "partners"):
                assert rules == {"join_rule": "invite"}, spec.key
            else:
                assert rules == {
                    "join_rule": "restricted",
                    "allow": [{"type": "m.room_membership", "room_id": layout.space_id}],
                }, spec.key
            users = state[("m.room.power_levels", "")]["content"]["users"]
            assert users[bot.user_id] == 100 and users[coordinator.user_id] == 100
            member = state[("m.room.member", coordinator.user_id)]["content"]
            assert member["membership"] == "invite"
            assert state[("m.room.guest_access", "")]["content"]["guest_access"] == "forbidden"

    async with nio_client(synapse.base_url, coordinator) as client:
        sync = check(await client.sync(timeout=0), SyncResponse, "sync")
        assert set(layout.all_room_ids()) <= set(sync.rooms.invite)

    # Second call: same rooms, and nothing new sent to any of them.
    async with nio_client(synapse.base_url, bot) as client:
        before = {r: await room_state(client, r) for r in layout.all_room_ids()}
    again = await provision_space(
        synapse.base_url,
        bot.access_token,
        bot.user_id,
        coordinator.user_id,
        space_name="Haven Test",
        data_dir=tmp_path,
    )
    assert again == layout
    async with nio_client(synapse.base_url, bot) as client:
        for room_id, state in before.items():
            after = await room_state(client, room_id)
            assert {k: v["event_id"] for k, v in after.items()} == {
                k: v["event_id"] for k, v in state.items()
            }


async def test_space_members_can_join_open_rooms_only(
    synapse: EmbeddedSynapse, amake_matrix_user: AMakeUser, tmp_path: Path
) -> None:
    bot = await amake_matrix_user("bot")
    coordinator = await amake_matrix_user("coord")
    member = await amake_matrix_user("member")
    layout = await provision_space(
        synapse.base_url, bot.access_token, bot.user_id, coordinator.user_id, data_dir=tmp_path
    )
    async with nio_client(synapse.base_url, bot) as client:
        await client.room_invite(layout.space_id, member.user_id)
    async with nio_client(synapse.base_url, member) as client:
        check(await client.join(layout.space_id), JoinResponse, "join space")
        check(await client.join(layout.rooms["lobby"]), JoinResponse, "join lobby")
        resp = await client.join(layout.rooms["moderators"])
        with pytest.raises(ProvisionError) as info:
            check(resp, JoinResponse, "join moderators")
        assert info.value.errcode == "M_FORBIDDEN"
    async with nio_client(synapse.base_url, coordinator) as client:
        for room_id in layout.all_room_ids():
            check(await client.join(room_id), JoinResponse, f"coordinator joins {room_id}")


async def test_provision_replaces_a_room_the_bot_left(
    synapse: EmbeddedSynapse, amake_matrix_user: AMakeUser, tmp_path: Path
) -> None:
    bot = await amake_matrix_user("bot")
    coordinator = await amake_matrix_user("coord")
    args = (synapse.base_url, bot.access_token, bot.user_id, coordinator.user_id)
    first = await provision_space(*args, data_dir=tmp_path)
    old_partners = first.rooms["partners"]
    async with nio_client(synapse.base_url, bot) as client:
        check(await client.room_leave(old_partners), RoomLeaveResponse, "leave")
    second = await provision_space(*args, data_dir=tmp_path)
    assert second.space_id == first.space_id
    assert second.rooms["partners"] != old_partners
    assert {k: v for k, v in second.rooms.items() if k != "partners"} == {
        k: v for k, v in first.rooms.items() if k != "partners"
    }
    async with nio_client(synapse.base_url, bot) as client:
        space = await room_state(client, second.space_id)
        assert space[("m.space.child", old_partners)]["content"] == {}
        assert space[("m.space.child", second.rooms["partners"])]["content"]["via"]
    assert SpaceLayout.load(tmp_path / LAYOUT_FILE) == second

    # Losing the space itself: a new space adopts the surviving rooms.
    async with nio_client(synapse.base_url, bot) as client:
        check(await client.room_leave(second.space_id), RoomLeaveResponse, "leave space")
    third = await provision_space(*args, data_dir=tmp_path)
    assert third.space_id != second.space_id and third.rooms == second.rooms
    async with nio_client(synapse.base_url, bot) as client:
        space = await room_state(client, third.space_id)
        assert {k[1] for k in space if k[0] == "m.space.child"} == set(third.rooms.values())
        lobby = await room_state(client, third.rooms["lobby"])
        assert lobby[("m.space.parent", second.space_id)]["content"] == {}
        assert lobby[("m.space.parent", third.space_id)]["content"]["canonical"] is True
        rules = lobby[("m.room.join_rules", "")]["content"]
        assert rules["allow"] == [{"type": "m.room_membership", "room_id": third.space_id}]


async def test_provision_normalises_nio_errors(synapse: EmbeddedSynapse) -> None:
    with pytest.raises(ProvisionError) as info:
        await provision_space(synapse.base_url, "bogus", "@bot:haven.local", "@c:haven.local")
    assert info.value.errcode == "M_UNKNOWN_TOKEN"
    assert info.value.status == 401
