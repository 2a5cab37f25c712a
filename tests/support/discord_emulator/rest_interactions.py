"""REST routes for interaction callbacks and the interaction webhook (follow-ups, edits)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from . import actions, interactions
from .interactions import InteractionHandle, InteractionReply
from .rest_core import RestError, RestRequest, RestResponse, Route, invalid_form, not_found
from .state import Json

if TYPE_CHECKING:
    from .app import DiscordEmulator


def _by_id_token(emu: DiscordEmulator, interaction_id: str, token: str) -> InteractionHandle:
    handle = emu.interactions.get(interaction_id)
    if handle is None or handle.token != token:
        raise not_found("interaction", 10062)
    return handle


def _by_app_token(emu: DiscordEmulator, application_id: str, token: str) -> InteractionHandle:
    handle = emu.interactions_by_token.get(token)
    if handle is None or application_id != emu.state.application_id:
        raise not_found("Webhook", 10015)
    if time.monotonic() - handle.created > emu.config.interaction_token_ttl:
        raise RestError(401, 50027, "Invalid Webhook Token")
    return handle


def _snapshot(emu: DiscordEmulator, message_id: str) -> Json:
    return emu.state.message_payload(message_id)


def _respond_message(
    emu: DiscordEmulator, handle: InteractionHandle, data: Json, files: list[Json], flags: int
) -> Json:
    body = dict(data)
    body["flags"] = flags
    extra = {"webhook_id": emu.state.application_id, "application_id": emu.state.application_id}
    msg = actions.build_message(
        emu,
        handle.channel_id,
        emu.state.bot_user_id,
        body,
        files,
        msg_type=interactions.response_message_type(handle),
        extra=extra,
    )
    handle.original_message_id = msg["id"]
    msg.update(interactions.response_metadata(handle))
    ephemeral = bool(flags & actions.FLAG_EPHEMERAL)
    emu.state.store_message(msg, listed=not ephemeral)
    if not ephemeral:
        emu.gateway.dispatch("MESSAGE_CREATE", actions.gateway_message(emu, msg))
    emu._message_posted(msg)
    return msg


async def callback(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /interactions/{interaction_id}/{interaction_token}/callback."""
    handle = _by_id_token(emu, req.params["interaction_id"], req.params["interaction_token"])
    if handle.acknowledged:
        raise RestError(400, 40060, "Interaction has already been acknowledged.")
    if time.monotonic() - handle.created > emu.config.interaction_ack_timeout:
        raise not_found("interaction", 10062)
    body = req.body()
    ctype = body.get("type")
    data = body.get("data") or {}
    allowed = {4, 5}
    if handle.type == interactions.MESSAGE_COMPONENT or (
        handle.type == interactions.MODAL_SUBMIT and "message" in handle.payload
    ):
        allowed |= {6, 7}
    if handle.type in (interactions.APPLICATION_COMMAND, interactions.MESSAGE_COMPONENT):
        allowed.add(9)
    if handle.type == interactions.AUTOCOMPLETE:
        allowed = {8}
    if ctype not in allowed:
        raise invalid_form("type", f"Interaction callback type {ctype} is not allowed here")
    message: Json | None = None
    resource: Json | None = None
    if ctype == 4:
        if not (data.get("content") or data.get("embeds") or data.get("components") or req.files):
            raise RestError(400, 50006, "Cannot send an empty message")
        flags = int(data.get("flags") or 0)
        message = _respond_message(emu, handle, data, req.files, flags)
        resource = {"type": 4, "message": _snapshot(emu, message["id"])}
    elif ctype == 5:
        flags = actions.FLAG_LOADING | (int(data.get("flags") or 0) & actions.FLAG_EPHEMERAL)
        message = _respond_message(emu, handle, {}, [], flags)
    elif ctype in (6, 7):
        target = handle.payload["message"]["id"]
        handle.original_message_id = target
        if ctype == 7:
            actions.edit_message(emu, target, data, req.files)
            message = emu.state.messages[target]
            resource = {"type": 7, "message": _snapshot(emu, target)}
    elif ctype == 9:
        for key in ("custom_id", "title", "components"):
            if not data.get(key):
                raise invalid_form(f"data.{key}", "This field is required")
        handle.modal = {**data, "components": actions.normalize_components(data["components"])}
    elif ctype == 8:
        handle.autocomplete_choices = list(data.get("choices") or [])
    handle.callback_type = ctype
    handle.record(
        InteractionReply(
            "callback",
            ctype,
            _snapshot(emu, message["id"]) if message is not None else None,
            dict(data),
        )
    )
    if not req.flag("with_response"):
        return RestResponse(204)
    info: Json = {"id": handle.id, "type": handle.type}
    if message is not None:
        info["response_message_id"] = message["id"]
        info["response_message_loading"] = ctype == 5
        info["response_message_ephemeral"] = bool(message["flags"] & actions.FLAG_EPHEMERAL)
    out: Json = {"interaction": info}
    if resource is not None:
        out["resource"] = resource
    return RestResponse(200, out)


async def followup(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """POST /webhooks/{webhook_id}/{webhook_token} (interaction follow-up)."""
    handle = _by_app_token(emu, req.params["webhook_id"], req.params["webhook_token"])
    if not handle.acknowledged:
        raise not_found("Webhook", 10015)
    body = req.body()
    if not (body.get("content") or body.get("embeds") or body.get("components") or req.files):
        raise RestError(400, 50006, "Cannot send an empty message")
    flags = int(body.get("flags") or 0)
    if handle.callback_type == 5 and not _original_finalised(emu, handle):
        # A follow-up to a deferred response replaces the loading original.
        msg = actions.edit_message(emu, handle.original_message_id, body, req.files)
        handle.record(InteractionReply("followup", None, _snapshot(emu, msg["id"]), body))
    else:
        body_copy = {k: v for k, v in body.items() if k not in ("username", "avatar_url")}
        extra = {
            "webhook_id": emu.state.application_id,
            "application_id": emu.state.application_id,
        }
        extra.update(interactions.response_metadata(handle))
        msg = actions.post_message(
            emu,
            handle.channel_id,
            emu.state.bot_user_id,
            {**body_copy, "flags": flags},
            req.files,
            msg_type=interactions.response_message_type(handle),
            extra=extra,
        )
        handle.followup_ids.append(msg["id"])
        handle.record(InteractionReply("followup", None, _snapshot(emu, msg["id"]), body))
    if not req.flag("wait"):
        return RestResponse(204)
    return RestResponse(200, _snapshot(emu, msg["id"]))


def _original_finalised(emu: DiscordEmulator, handle: InteractionHandle) -> bool:
    msg = emu.state.messages.get(handle.original_message_id or "")
    return msg is None or not msg["flags"] & actions.FLAG_LOADING


def _target(emu: DiscordEmulator, req: RestRequest) -> tuple[InteractionHandle, str, bool]:
    handle = _by_app_token(emu, req.params["webhook_id"], req.params["webhook_token"])
    mid = req.params.get("message_id", "@original")
    if mid == "@original":
        if handle.original_message_id is None or handle.original_message_id not in (
            emu.state.messages
        ):
            raise not_found("Message", 10008)
        return handle, handle.original_message_id, True
    if mid == handle.original_message_id:
        return handle, mid, True
    if mid not in handle.followup_ids or mid not in emu.state.messages:
        raise not_found("Message", 10008)
    return handle, mid, False


async def get_webhook_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """GET /webhooks/{webhook_id}/{webhook_token}/messages/(@original|{message_id})."""
    _, mid, _ = _target(emu, req)
    return RestResponse(200, _snapshot(emu, mid))


async def edit_webhook_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """PATCH /webhooks/{webhook_id}/{webhook_token}/messages/(@original|{message_id})."""
    handle, mid, original = _target(emu, req)
    actions.edit_message(emu, mid, req.body(), req.files)
    kind = "edit_original" if original else "edit_followup"
    handle.record(InteractionReply(kind, None, _snapshot(emu, mid), req.body()))
    return RestResponse(200, _snapshot(emu, mid))


async def delete_webhook_message(emu: DiscordEmulator, req: RestRequest) -> RestResponse:
    """DELETE /webhooks/{webhook_id}/{webhook_token}/messages/(@original|{message_id})."""
    handle, mid, original = _target(emu, req)
    actions.remove_message(emu, mid)
    kind = "delete_original" if original else "delete_followup"
    handle.record(InteractionReply(kind, None, None, {"message_id": mid}))
    return RestResponse(204)


_W = "/webhooks/{webhook_id}/{webhook_token}"

ROUTES = [
    Route(
        "POST", "/interactions/{interaction_id}/{interaction_token}/callback", callback, auth=False
    ),
    Route("POST", _W, followup, auth=False),
    Route("GET", _W + "/messages/@original", get_webhook_message, auth=False),
    Route("PATCH", _W + "/messages/@original", edit_webhook_message, auth=False),
    Route("DELETE", _W + "/messages/@original", delete_webhook_message, auth=False),
    Route("GET", _W + "/messages/{message_id}", get_webhook_message, auth=False),
    Route("PATCH", _W + "/messages/{message_id}", edit_webhook_message, auth=False),
    Route("DELETE", _W + "/messages/{message_id}", delete_webhook_message, auth=False),
]
