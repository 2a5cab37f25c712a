"""Interactions: building INTERACTION_CREATE payloads and the handle tests await on.

A test starts an interaction with :meth:`DiscordEmulator.invoke_slash`,
:meth:`~DiscordEmulator.invoke_message_command`, :meth:`~DiscordEmulator.click_button`
and friends; each returns an :class:`InteractionHandle`.  Everything the bot does in
reply (the callback, follow-ups, edits and deletes of the original response) is
appended to :attr:`InteractionHandle.replies` as an :class:`InteractionReply`.
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import actions
from .state import THREAD_TYPES, Json, ref

if TYPE_CHECKING:
    from .app import DiscordEmulator

PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

CALLBACK_NAMES = {
    1: "PONG",
    4: "CHANNEL_MESSAGE_WITH_SOURCE",
    5: "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE",
    6: "DEFERRED_UPDATE_MESSAGE",
    7: "UPDATE_MESSAGE",
    8: "APPLICATION_COMMAND_AUTOCOMPLETE_RESULT",
    9: "MODAL",
}


@dataclass
class InteractionReply:
    """One thing the bot did for an interaction.

    ``kind`` is ``"callback"``, ``"followup"``, ``"edit_original"``, ``"delete_original"``,
    ``"edit_followup"`` or ``"delete_followup"``; ``type`` is the callback type (4, 5, 6,
    7, 8, 9) for callbacks; ``message`` a snapshot of the affected message (None for
    deletes and for callbacks that create none); ``data`` the request's ``data``/body.
    """

    kind: str
    type: int | None = None
    message: Json | None = None
    data: Json = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def flags(self) -> int:
        """Message flags (from the message, else from the request)."""
        if self.message is not None:
            return int(self.message.get("flags", 0))
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        """Whether the reply is only visible to the invoking user."""
        return bool(self.flags & actions.FLAG_EPHEMERAL)

    @property
    def content(self) -> str | None:
        """Message content (None when there is no message)."""
        if self.message is not None:
            return self.message.get("content")
        return self.data.get("content")

    @property
    def embeds(self) -> list[Json]:
        """Embeds of the message."""
        source = self.message if self.message is not None else self.data
        return list(source.get("embeds") or [])

    @property
    def components(self) -> list[Json]:
        """Components of the message (or of the modal)."""
        source = self.message if self.message is not None else self.data
        return list(source.get("components") or [])

    @property
    def deferred(self) -> bool:
        """True for DEFERRED_* callbacks."""
        return self.type in (5, 6)


class InteractionHandle:
    """A user-started interaction and what the bot answered."""

    def __init__(self, emu: DiscordEmulator, payload: Json) -> None:
        self.emu = emu
        self.payload = payload
        self.id: str = payload["id"]
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.channel_id: str = payload["channel_id"]
        self.guild_id: str | None = payload.get("guild_id")
        self.created = time.monotonic()
        self.callback_type: int | None = None
        self.original_message_id: str | None = None
        self.followup_ids: list[str] = []
        self.replies: list[InteractionReply] = []
        self.modal: Json | None = None
        self.autocomplete_choices: list[Json] | None = None
        #: For modal submissions: the interaction the modal was opened from.
        self.triggered_by: InteractionHandle | None = None

    @property
    def user_id(self) -> str:
        """Id of the invoking user."""
        user = self.payload.get("member", {}).get("user") or self.payload["user"]
        return user["id"]

    @property
    def acknowledged(self) -> bool:
        """Whether the bot has sent the initial callback."""
        return self.callback_type is not None

    @property
    def original(self) -> Json | None:
        """Current state of the original response message (None if none/deleted)."""
        if self.original_message_id is None:
            return None
        msg = self.emu.state.messages.get(self.original_message_id)
        return copy.deepcopy(msg) if msg is not None else None

    @property
    def followups(self) -> list[Json]:
        """Current state of the follow-up messages still existing."""
        out = []
        for mid in self.followup_ids:
            msg = self.emu.state.messages.get(mid)
            if msg is not None:
                out.append(copy.deepcopy(msg))
        return out

    def record(self, reply: InteractionReply) -> None:
        """Append a reply and wake waiters (used by the REST handlers)."""
        self.replies.append(reply)
        self.emu.waiters.poke()

    async def wait_reply(
        self,
        kind: str | None = None,
        predicate: Callable[[InteractionReply], bool] | None = None,
        *,
        timeout: float = 5.0,
        index: int = 0,
    ) -> InteractionReply:
        """Wait for the ``index``-th reply of ``kind`` matching ``predicate``."""

        def find() -> InteractionReply | None:
            matching = [
                r
                for r in self.replies
                if (kind is None or r.kind == kind) and (predicate is None or predicate(r))
            ]
            return matching[index] if len(matching) > index else None

        what = f"{kind or 'any'} reply #{index} to interaction {self.id}"
        return await self.emu.waiters.wait(find, timeout, what)

    async def wait_response(self, timeout: float = 5.0) -> InteractionReply:
        """Wait for the initial callback (types 4-9)."""
        return await self.wait_reply("callback", timeout=timeout)

    async def wait_followup(self, timeout: float = 5.0, index: int = 0) -> InteractionReply:
        """Wait for the ``index``-th follow-up message."""
        return await self.wait_reply("followup", timeout=timeout, index=index)

    async def wait_edit(self, timeout: float = 5.0, index: int = 0) -> InteractionReply:
        """Wait for the ``index``-th edit of the original response."""
        return await self.wait_reply("edit_original", timeout=timeout, index=index)

    async def wait_final(self, timeout: float = 5.0) -> InteractionReply:
        """Wait until the response is visible content: a non-deferred callback, or the
        first edit of the original after a deferral (returns that reply)."""
        first = await self.wait_response(timeout)
        if first.type == 5:
            return await self.wait_edit(timeout)
        return first

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.type} replies={len(self.replies)}>"


# ---------------------------------------------------------------- payloads
def _resolved_user(emu: DiscordEmulator, guild_id: str | None, uid: str, resolved: Json) -> None:
    state = emu.state
    resolved.setdefault("users", {})[uid] = state.user_payload(uid)
    if guild_id and uid in state.members.get(guild_id, {}):
        member = state.member_payload(guild_id, uid, with_user=False)
        member["permissions"] = str(state.guild_permissions(guild_id, uid))
        resolved.setdefault("members", {})[uid] = member


def _resolved_channel(emu: DiscordEmulator, cid: str, user_id: str, resolved: Json) -> None:
    ch = emu.state.channel(cid)
    entry: Json = {"id": cid, "type": ch["type"], "name": ch.get("name"), "flags": 0}
    for key in ("guild_id", "parent_id", "thread_metadata", "last_message_id"):
        if key in ch:
            entry[key] = copy.deepcopy(ch[key])
    if ch.get("guild_id"):
        entry["permissions"] = str(emu.state.channel_permissions(cid, user_id))
    resolved.setdefault("channels", {})[cid] = entry


def _option_value(
    emu: DiscordEmulator,
    definition: Json,
    value: Any,
    guild_id: str | None,
    user_id: str,
    resolved: Json,
) -> Any:
    otype = definition["type"]
    name = definition["name"]
    if otype == 3:
        out: Any = str(value)
        if "min_length" in definition and len(out) < definition["min_length"]:
            raise ValueError(f"option {name!r} is shorter than min_length")
        if "max_length" in definition and len(out) > definition["max_length"]:
            raise ValueError(f"option {name!r} is longer than max_length")
    elif otype == 4:
        if isinstance(value, bool) or int(value) != value:
            raise ValueError(f"option {name!r} needs an integer")
        out = int(value)
    elif otype == 5:
        if not isinstance(value, bool):
            raise ValueError(f"option {name!r} needs a bool")
        out = value
    elif otype == 10:
        out = float(value) if not isinstance(value, int) else value
    elif otype == 6:
        out = ref(value)
        _resolved_user(emu, guild_id, out, resolved)
    elif otype == 7:
        out = ref(value)
        _resolved_channel(emu, out, user_id, resolved)
        types = definition.get("channel_types")
        if types and emu.state.channels[out]["type"] not in types:
            raise ValueError(f"option {name!r} does not accept that channel type")
    elif otype == 8:
        out = ref(value)
        resolved.setdefault("roles", {})[out] = emu.state.role_payload(out)
    elif otype == 9:
        out = ref(value)
        if out in emu.state.roles:
            resolved.setdefault("roles", {})[out] = emu.state.role_payload(out)
        else:
            _resolved_user(emu, guild_id, out, resolved)
    elif otype == 11:
        if not isinstance(value, Mapping):
            raise ValueError(f"option {name!r} needs {{'filename': ..., 'data': bytes}}")
        aid = emu.state.ids.next()
        data = bytes(value.get("data", b""))
        emu.attachments[aid] = data
        url = f"{emu.base_url}/attachments/{user_id}/{aid}/{value['filename']}"
        resolved.setdefault("attachments", {})[aid] = {
            "id": aid,
            "filename": value["filename"],
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": value.get("content_type", "application/octet-stream"),
            "ephemeral": True,
        }
        out = aid
    else:
        raise ValueError(f"option {name!r} has unsupported type {otype}")
    choices = definition.get("choices")
    if choices and out not in [c["value"] for c in choices]:
        raise ValueError(f"option {name!r}: {out!r} is not one of the declared choices")
    if otype in (4, 10):
        if "min_value" in definition and out < definition["min_value"]:
            raise ValueError(f"option {name!r} below min_value")
        if "max_value" in definition and out > definition["max_value"]:
            raise ValueError(f"option {name!r} above max_value")
    return out


def build_leaf_options(
    emu: DiscordEmulator,
    definitions: list[Json],
    given: Mapping[str, Any],
    guild_id: str | None,
    user_id: str,
    resolved: Json,
    *,
    focused: str | None = None,
) -> list[Json]:
    """Typed option values for a (sub)command, checked against its definitions."""
    by_name = {d["name"]: d for d in definitions}
    unknown = set(given) - set(by_name)
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; declared: {sorted(by_name)}")
    out = []
    for definition in definitions:
        name = definition["name"]
        if name not in given:
            if definition.get("required") and name != focused:
                raise ValueError(f"required option {name!r} missing")
            continue
        if name == focused:
            out.append(
                {"name": name, "type": definition["type"], "value": given[name], "focused": True}
            )
            continue
        value = _option_value(emu, definition, given[name], guild_id, user_id, resolved)
        out.append({"name": name, "type": definition["type"], "value": value})
    return out


def find_command(emu: DiscordEmulator, name: str, command_type: int, guild_id: str | None) -> Json:
    """The registered command (guild scope first, then global) or ValueError."""
    candidates = [
        rec
        for rec in emu.state.commands.values()
        if rec.payload["name"] == name
        and rec.payload["type"] == command_type
        and rec.guild_id in (guild_id, None)
    ]
    candidates.sort(key=lambda rec: rec.guild_id is None)
    if not candidates:
        registered = sorted(
            f"{r.payload['name']} (type {r.payload['type']}, guild {r.guild_id})"
            for r in emu.state.commands.values()
        )
        raise ValueError(f"no command {name!r} of type {command_type}; registered: {registered}")
    return candidates[0].payload


def command_data(
    emu: DiscordEmulator,
    path: str,
    options: Mapping[str, Any],
    guild_id: str | None,
    user_id: str,
    *,
    focused: str | None = None,
) -> Json:
    """``data`` of a CHAT_INPUT interaction for ``"group sub"``-style paths."""
    names = path.split()
    if not names:
        raise ValueError("empty command path")
    cmd = find_command(emu, names[0], 1, guild_id)
    resolved: Json = {}
    definitions: list[Json] = cmd.get("options", [])
    chain: list[Json] = []
    for sub in names[1:]:
        match = next(
            (d for d in definitions if d["name"] == sub and d["type"] in (1, 2)),
            None,
        )
        if match is None:
            subs = [d["name"] for d in definitions if d["type"] in (1, 2)]
            raise ValueError(f"{sub!r} is not a subcommand/group here; available: {subs}")
        chain.append({"name": sub, "type": match["type"], "options": []})
        definitions = match.get("options", [])
    if any(d["type"] in (1, 2) for d in definitions):
        subs = [d["name"] for d in definitions if d["type"] in (1, 2)]
        raise ValueError(f"{path!r} needs a subcommand: one of {subs}")
    leaf = build_leaf_options(
        emu, definitions, options, guild_id, user_id, resolved, focused=focused
    )
    top_options = leaf
    for level in reversed(chain):
        level["options"] = top_options
        top_options = [level]
    data: Json = {"id": cmd["id"], "name": cmd["name"], "type": 1}
    if top_options:
        data["options"] = top_options
    if resolved:
        data["resolved"] = resolved
    if cmd.get("guild_id"):
        data["guild_id"] = cmd["guild_id"]
    return data


def base_payload(
    emu: DiscordEmulator,
    itype: int,
    user: Json | str,
    channel: Json | str,
    data: Json,
    *,
    locale: str,
) -> Json:
    """The common INTERACTION_CREATE fields for ``user`` acting in ``channel``."""
    state = emu.state
    ch = state.channel(channel)
    uid = state.user(user)["id"]
    gid = ch.get("guild_id")
    channel_entry: Json = {"id": ch["id"], "type": ch["type"], "flags": ch.get("flags", 0)}
    for key in ("guild_id", "name", "parent_id", "topic", "nsfw", "position", "last_message_id"):
        if key in ch:
            channel_entry[key] = ch[key]
    if ch["type"] in THREAD_TYPES:
        channel_entry["thread_metadata"] = copy.deepcopy(ch["thread_metadata"])
        channel_entry["owner_id"] = ch["owner_id"]
    payload: Json = {
        "id": state.ids.next(),
        "application_id": state.application_id,
        "type": itype,
        "data": data,
        "channel_id": ch["id"],
        "channel": channel_entry,
        "token": "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48),
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if gid:
        if uid not in state.members[gid]:
            raise ValueError(f"user {uid} is not a member of guild {gid}")
        member = state.member_payload(gid, uid)
        member["permissions"] = str(state.channel_permissions(ch["id"], uid))
        payload.update(
            {
                "guild_id": gid,
                "guild": {
                    "id": gid,
                    "locale": state.guilds[gid]["preferred_locale"],
                    "features": list(state.guilds[gid]["features"]),
                },
                "guild_locale": state.guilds[gid]["preferred_locale"],
                "member": member,
                "app_permissions": str(state.channel_permissions(ch["id"], state.bot_user_id)),
                "authorizing_integration_owners": {"0": gid},
                "context": 0,
            }
        )
    else:
        channel_entry["recipients"] = [state.user_payload(uid)]
        payload.update(
            {
                "user": state.user_payload(uid),
                "app_permissions": str(emu.dm_app_permissions),
                "authorizing_integration_owners": {"0": "0"},
                "context": 1,
            }
        )
    return payload


def response_metadata(handle: InteractionHandle) -> Json:
    """``interaction_metadata`` (+ legacy ``interaction``) for response messages."""
    state = handle.emu.state
    payload = handle.payload
    user = state.user_payload(handle.user_id)
    owners = payload.get("authorizing_integration_owners", {})
    meta: Json = {
        "id": handle.id,
        "type": handle.type,
        "user": user,
        "authorizing_integration_owners": owners,
    }
    extra: Json = {"interaction_metadata": meta}
    if handle.type == MESSAGE_COMPONENT:
        meta["interacted_message_id"] = payload["message"]["id"]
        if (
            handle.original_message_id
            and handle.original_message_id != meta["interacted_message_id"]
        ):
            meta["original_response_message_id"] = handle.original_message_id
    elif handle.type == APPLICATION_COMMAND:
        data = payload["data"]
        if data.get("target_id") and data.get("type") == 3:
            meta["target_message_id"] = data["target_id"]
        elif data.get("target_id") and data.get("type") == 2:
            meta["target_user"] = state.user_payload(data["target_id"])
        if handle.original_message_id:
            meta["original_response_message_id"] = handle.original_message_id
        extra["interaction"] = {
            "id": handle.id,
            "type": handle.type,
            "name": _full_name(data),
            "user": user,
        }
    elif handle.type == MODAL_SUBMIT:
        if handle.original_message_id:
            meta["original_response_message_id"] = handle.original_message_id
        if handle.triggered_by is not None:
            parent = response_metadata(handle.triggered_by)["interaction_metadata"]
            meta["triggering_interaction_metadata"] = parent
    return extra


def _full_name(data: Json) -> str:
    parts = [data["name"]]
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):
        parts.append(options[0]["name"])
        options = options[0].get("options") or []
    return " ".join(parts)


def response_message_type(handle: InteractionHandle) -> int:
    """Message type of a response to this interaction."""
    if handle.type == APPLICATION_COMMAND:
        data = handle.payload["data"]
        return actions.TYPE_CHAT_INPUT_COMMAND if data.get("type", 1) == 1 else 23
    return actions.TYPE_DEFAULT


def modal_submission(modal: Json, values: Mapping[str, Any]) -> list[Json]:
    """Echo a modal's component tree back with the user's values filled in."""
    used: set[str] = set()

    def leaf(comp: Json) -> Json:
        cid = comp.get("custom_id")
        out: Json = {"type": comp["type"], "id": comp.get("id", 0)}
        if cid is not None:
            out["custom_id"] = cid
            used.add(cid)
        if comp["type"] == 4:
            out["value"] = str(values.get(cid, comp.get("value") or ""))
        elif comp["type"] in (3, 5, 6, 7, 8):
            raw = values.get(cid, [])
            out["values"] = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
        return out

    result = []
    for comp in modal.get("components", []):
        if comp["type"] == 1:
            result.append(
                {
                    "type": 1,
                    "id": comp.get("id", 0),
                    "components": [leaf(c) for c in comp.get("components", [])],
                }
            )
        elif comp["type"] == 18:
            result.append(
                {"type": 18, "id": comp.get("id", 0), "component": leaf(comp["component"])}
            )
        else:
            result.append({"type": comp["type"], "id": comp.get("id", 0)})
    unknown = set(values) - used
    if unknown:
        raise ValueError(f"modal has no inputs {sorted(unknown)}")
    return result
