"""REST routes for application commands (global and per guild)."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from . import lookups
from .rest_core import RestError, RestRequest, RestResponse, Route, invalid_form, not_found
from .state import CommandRecord, Json

if TYPE_CHECKING:
    from .app import DiscordEmulator

_CHAT_INPUT_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def _clean_option(raw: Json) -> Json:
    opt = {k: v for k, v in raw.items() if v is not None}
    for key in ("choices", "channel_types"):
        if key in opt and not opt[key]:
            del opt[key]
    if not opt.get("autocomplete", True):
        del opt["autocomplete"]
    if "options" in opt:
        if opt["options"]:
            opt["options"] = [_clean_option(o) for o in opt["options"]]
        else:
            del opt["options"]
    if opt.get("required") is False:
        del opt["required"]
    return opt


def normalize_command(
    emu: DiscordEmulator, raw: Any, guild_id: str | None, existing: Json | None
) -> Json:
    """Validate a command create/overwrite body and return the ApplicationCommandResponse."""
    if not isinstance(raw, dict) or not raw.get("name"):
        raise invalid_form("name", "This field is required")
    ctype = int(raw.get("type") or 1)
    name = str(raw["name"])
    description = str(raw.get("description") or "")
    if ctype == 1:
        if not _CHAT_INPUT_NAME.match(name) or name != name.lower():
            raise invalid_form(
                "name", "Command name is invalid", "APPLICATION_COMMAND_INVALID_NAME"
            )
        if not 1 <= len(description) <= 100:
            raise invalid_form("description", "Must be between 1 and 100 in length.")
    else:
        description = ""
    perms = raw.get("default_member_permissions")
    cmd: Json = {
        "id": existing["id"] if existing else emu.state.ids.next(),
        "application_id": emu.state.application_id,
        "version": emu.state.ids.next(),
        "default_member_permissions": None if perms is None else str(perms),
        "type": ctype,
        "name": name,
        "name_localizations": raw.get("name_localizations") or None,
        "description": description,
        "description_localizations": raw.get("description_localizations") or None,
        "dm_permission": bool(raw.get("dm_permission", True)),
        "contexts": raw.get("contexts"),
        "integration_types": raw.get("integration_types") or [0],
        "nsfw": bool(raw.get("nsfw", False)),
    }
    if guild_id is not None:
        cmd["guild_id"] = guild_id
    options = [_clean_option(o) for o in raw.get("options") or []]
    if options:
        cmd["options"] = options
    return cmd


def _scope(emu: DiscordEmulator, req: RestRequest) -> str | None:
    lookups.application(emu, req.params["application_id"])
    gid = req.params.get("guild_id")
    if gid is not None:
        lookups.guild(emu, gid)
    return gid


def _in_scope(emu: DiscordEmulator, guild_id: str | None) -> list[CommandRecord]:
    return [c for c in emu.state.commands.values() if c.guild_id == guild_id]


def _find(emu: DiscordEmulator, guild_id: str | None, command_id: str) -> CommandRecord:
    rec = emu.state.commands.get(command_id)
    if rec is None or rec.guild_id != guild_id:
        raise not_found("application command", 10063)
    return rec


async def list_commands(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET .../commands."""
    gid = _scope(emu, req)
    return RestResponse(200, [copy.deepcopy(c.payload) for c in _in_scope(emu, gid)])


async def overwrite_commands(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PUT .../commands (bulk overwrite; ids kept for same name and type)."""
    gid = _scope(emu, req)
    if not isinstance(req.json, list):
        raise RestError(400, 50035, "Invalid Form Body")
    old = {(c.payload["name"], c.payload["type"]): c.payload for c in _in_scope(emu, gid)}
    new = []
    seen: set[tuple[str, int]] = set()
    for raw in req.json:
        key = (str(raw.get("name")), int(raw.get("type") or 1))
        if key in seen:
            raise RestError(400, 50035, "Invalid Form Body", {"_errors": [{"code": "DUP"}]})
        seen.add(key)
        new.append(normalize_command(emu, raw, gid, old.get(key)))
    for rec in _in_scope(emu, gid):
        del emu.state.commands[rec.payload["id"]]
    for cmd in new:
        emu.state.commands[cmd["id"]] = CommandRecord(cmd, gid)
    return RestResponse(200, copy.deepcopy(new))


async def create_command(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST .../commands (upsert by name and type: 201 new, 200 existing)."""
    gid = _scope(emu, req)
    body = req.body()
    key = (str(body.get("name")), int(body.get("type") or 1))
    existing = next(
        (c.payload for c in _in_scope(emu, gid) if (c.payload["name"], c.payload["type"]) == key),
        None,
    )
    cmd = normalize_command(emu, body, gid, existing)
    emu.state.commands[cmd["id"]] = CommandRecord(cmd, gid)
    return RestResponse(200 if existing else 201, copy.deepcopy(cmd))


async def get_command(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET .../commands/{command_id}."""
    gid = _scope(emu, req)
    return RestResponse(200, copy.deepcopy(_find(emu, gid, req.params["command_id"]).payload))


async def edit_command(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH .../commands/{command_id}."""
    gid = _scope(emu, req)
    rec = _find(emu, gid, req.params["command_id"])
    merged = {**rec.payload, **req.body()}
    rec.payload = normalize_command(emu, merged, gid, rec.payload)
    return RestResponse(200, copy.deepcopy(rec.payload))


async def delete_command(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE .../commands/{command_id}."""
    gid = _scope(emu, req)
    rec = _find(emu, gid, req.params["command_id"])
    del emu.state.commands[rec.payload["id"]]
    return RestResponse(204)


_G = "/applications/{application_id}/commands"
_L = "/applications/{application_id}/guilds/{guild_id}/commands"

ROUTES = [
    route
    for base in (_G, _L)
    for route in (
        Route("GET", base, list_commands),
        Route("PUT", base, overwrite_commands),
        Route("POST", base, create_command),
        Route("GET", base + "/{command_id}", get_command),
        Route("PATCH", base + "/{command_id}", edit_command),
        Route("DELETE", base + "/{command_id}", delete_command),
    )
]
