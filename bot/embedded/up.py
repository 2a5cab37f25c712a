"""`haven up`: Haven on an embedded Synapse, with nothing to set up by hand.

First run: generates the homeserver's config and secrets under `var/`, registers the bot
and a coordinator account (credentials printed once, stored 0600), creates the Haven
space with its rooms, and writes `var/haven.yaml`. Later runs reuse all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import SecretStr

from bot.embedded.provision import SpaceLayout, provision_space
from bot.embedded.secrets import generate_secret, read_json, write_private_json
from bot.embedded.synapse import EmbeddedSynapse
from bot.settings import Secrets, Settings, load_settings

log = logging.getLogger(__name__)

BOT_LOCALPART = "haven"
COORDINATOR_LOCALPART = "coordinator"
CREDENTIALS_FILE = "credentials.json"
SETTINGS_FILE = "haven.yaml"


@dataclass(frozen=True, slots=True)
class EmbeddedSetup:
    """What `prepare` produced: the running server, accounts, space and settings."""

    server: EmbeddedSynapse
    bot_token: str
    coordinator_id: str
    coordinator_password: str
    layout: SpaceLayout
    settings: Settings
    first_run: bool


def _progress(line: str) -> None:
    if sys.stdout.isatty():
        print(f"\r  {line:<60}", end="", flush=True)
    else:
        print(f"  {line}", flush=True)


async def prepare(data_dir: Path, *, testing: bool = False) -> EmbeddedSetup:
    """Start Synapse and make sure accounts, space and settings exist (idempotent).

    `data_dir` must exist.
    """
    server = EmbeddedSynapse(
        data_dir / "synapse", bcrypt_rounds=4 if testing else 12, testing=testing
    )
    print(f"Starting the embedded Matrix homeserver ({server.base_url}) …", flush=True)
    await server.astart(progress=_progress, timeout=120)
    if sys.stdout.isatty():
        print()
    creds_path = data_dir / CREDENTIALS_FILE
    creds = read_json(creds_path)
    first_run = creds is None
    if creds is None:
        creds = {
            "bot_password": generate_secret(24),
            "coordinator_password": generate_secret(12),
        }
        write_private_json(creds_path, creds)
    bot = await server.aensure_user(BOT_LOCALPART, creds["bot_password"], displayname="Haven")
    coordinator = await server.aensure_user(
        COORDINATOR_LOCALPART, creds["coordinator_password"], displayname="Coordinator"
    )
    layout = await provision_space(
        server.base_url,
        bot.access_token,
        bot.user_id,
        coordinator.user_id,
        data_dir=data_dir,
    )
    settings = _write_settings(data_dir, server, bot.user_id, coordinator.user_id, layout)
    return EmbeddedSetup(
        server,
        bot.access_token,
        coordinator.user_id,
        creds["coordinator_password"],
        layout,
        settings,
        first_run,
    )


def _write_settings(
    data_dir: Path, server: EmbeddedSynapse, bot_id: str, coordinator_id: str, layout: SpaceLayout
) -> Settings:
    path = data_dir / SETTINGS_FILE
    data = {
        "instance_name": "Haven",
        "data_dir": str(data_dir),
        "database": {"path": str(data_dir / "haven.db")},
        "matrix": {
            "enabled": True,
            "homeserver": server.base_url,
            "user_id": bot_id,
            "space_id": layout.space_id,
            "rooms": dict(layout.rooms),
            "roles": {"users": {"coordinator": [coordinator_id]}},
        },
    }
    header = "# Written by `haven up`; secrets are in credentials.json, never here.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_settings(path)


def print_connection_help(setup: EmbeddedSetup) -> None:
    """How to connect any Matrix client to the embedded server."""
    print()
    print("Haven is running. Connect with any Matrix client (Element, Fractal, nheko …):")
    print(f"  homeserver : {setup.server.base_url}")
    print(f"  user       : {setup.coordinator_id}")
    if setup.first_run:
        print(f"  password   : {setup.coordinator_password}   (shown once; stored 0600 in")
        print(f"               {setup.server.data_dir.parent / CREDENTIALS_FILE})")
    else:
        print(f"  password   : in {setup.server.data_dir.parent / CREDENTIALS_FILE}")
    print(f"  space      : {setup.layout.space_id}  (rooms: {', '.join(setup.layout.rooms)})")
    print("Type !help in the lobby. Press Ctrl-C to stop Haven and the homeserver.")


async def _up(data_dir: Path) -> int:
    from bot.app import Haven

    setup = await prepare(data_dir)
    app = Haven(setup.settings, Secrets(matrix_access_token=SecretStr(setup.bot_token)))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, app.request_stop)
    try:
        await app.start()
        print_connection_help(setup)
        await app.wait_until_stopped()
    finally:
        print("\nStopping Haven …", flush=True)
        await app.close()
        await setup.server.astop()
        print("Stopped.")
    return 0


def run_up(data_dir: Path) -> int:
    """Entry point of `haven up`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_up(data_dir.resolve()))
