"""The Matrix adapter: matrix-nio sync loop -> core invocations -> replies as m.notice.

The since-token is stored after each handled batch and every event id is claimed in the
database before it is handled, so a restart neither reprocesses nor misses events.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import nio

from bot.adapters.matrix.moderation import MatrixModeration, MatrixSpaceAdmin
from bot.adapters.matrix.roles import roles_for
from bot.adapters.matrix.text import command_text, looks_like_user_id, render_html
from bot.core.binding import (
    TextCommandError,
    action_arguments,
    parse_command_line,
)
from bot.core.capabilities import Role
from bot.core.commands import Command, ParamType
from bot.core.context import MessageRef, PersonRef, RoomRef
from bot.core.dispatch import Invocation
from bot.core.dry_run import DryRunModeration
from bot.core.errors import HavenError, UserError
from bot.core.events import IncomingMessage, MemberJoined
from bot.core.logsafe import describe_exception
from bot.core.replies import Attachment, Reply, ReplyKind
from bot.storage.platform_state_repository import PlatformStateRepository

if TYPE_CHECKING:
    from bot.app import Haven
    from bot.core.i18n import Translator
    from bot.core.ports import ModerationActions

log = logging.getLogger(__name__)

PLATFORM = "matrix"
HOUSEKEEPING_SECONDS = 30.0
PROCESSED_EVENT_KEEP = timedelta(days=7)  # far longer than any sync gap we replay
SYNC_FILTER: dict[str, Any] = {
    "presence": {"types": []},
    "account_data": {"types": []},
    "room": {
        "timeline": {
            "types": [
                "m.room.message",
                "m.reaction",
                "m.space.child",
                "m.room.power_levels",
                "m.room.member",
                "m.room.encrypted",
            ],
            "limit": 100,
        },
        "state": {"lazy_load_members": True},
        "ephemeral": {"types": []},
        "account_data": {"types": []},
    },
}


class MatrixError(HavenError):
    """A Matrix request failed; `errcode` is the server's code when there was one."""

    def __init__(self, what: str, response: Any) -> None:
        self.errcode = getattr(response, "status_code", None)
        super().__init__(f"{what} failed: {getattr(response, 'message', response)}")


def _ok(response: Any, expected: type, what: str) -> Any:
    """matrix-nio returns errors instead of raising: turn them into exceptions here."""
    if not isinstance(response, expected):
        raise MatrixError(what, response)
    return response


class MatrixAdapter:
    """Serves Haven's commands in the rooms of one Matrix space."""

    name = PLATFORM

    def __init__(self, app: Haven) -> None:
        self.app = app
        self.settings = app.settings.matrix
        self.state = PlatformStateRepository(app.db, PLATFORM)
        config = nio.AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False)
        self.client = nio.AsyncClient(
            self.settings.homeserver, self.settings.user_id, store_path="", config=config
        )
        self.allowed_rooms: set[str] = set()
        self._sync_task: asyncio.Task[None] | None = None
        self._running = False
        self._handlers: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self.dm_room_ids: set[str] = set()
        self.moderation: ModerationActions = (
            DryRunModeration() if app.settings.dry_run else MatrixModeration(self)
        )
        self.space_admin = MatrixSpaceAdmin(self)
        self._housekeeping: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, catch up to the stored since-token, then sync in the background."""
        await self._login()
        await self._refresh_allowed_rooms()
        since = await self.state.get(self._since_key)
        if since is None:
            # First start: skip history from before Haven served this account.
            first = _ok(
                await self.client.sync(timeout=0, sync_filter=SYNC_FILTER, full_state=True),
                nio.SyncResponse,
                "initial sync",
            )
            await self._handle_invites(first)
            await self.state.set(self._since_key, first.next_batch)
        else:
            self.client.next_batch = since
        await self._refresh_allowed_rooms()
        self._running = True
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")
        self._housekeeping = asyncio.create_task(self._housekeeping_loop(), name="matrix-chores")
        await asyncio.wait_for(self._ready.wait(), timeout=60)

    async def _housekeeping_loop(self) -> None:
        while self._running:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                if isinstance(self.moderation, MatrixModeration):
                    await self.moderation.lift_expired()
                await self.state.prune(PROCESSED_EVENT_KEEP, datetime.now(UTC))
            except Exception:
                log.exception("Matrix housekeeping failed")

    async def stop(self) -> None:
        """Finish in-flight handlers, stop syncing and close the HTTP session."""
        self._running = False
        for task in (self._sync_task, self._housekeeping):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        await self.client.close()

    async def _login(self) -> None:
        secrets = self.app.secrets
        if secrets.matrix_access_token is not None:
            self.client.access_token = secrets.matrix_access_token.get_secret_value()
            who = _ok(await self.client.whoami(), nio.WhoamiResponse, "whoami")
            self.client.user_id = who.user_id
            self.client.device_id = who.device_id or ""
        elif secrets.matrix_password is not None:
            _ok(
                await self.client.login(
                    secrets.matrix_password.get_secret_value(),
                    device_name=self.settings.device_name,
                ),
                nio.LoginResponse,
                "login",
            )
        else:
            raise HavenError(
                "Matrix is enabled but neither HAVEN_MATRIX_ACCESS_TOKEN nor "
                "HAVEN_MATRIX_PASSWORD is set"
            )
        log.info("logged in to Matrix as %s", self.client.user_id)

    @property
    def _since_key(self) -> str:
        # Tied to the account: a database reused with another bot account starts afresh.
        return f"since:{self.client.user_id}"

    async def _refresh_allowed_rooms(self) -> None:
        allowed = set(self.settings.rooms.values())
        space = self.settings.space_id
        if space:
            allowed.add(space)
            state = await self.client.room_get_state(space)
            if isinstance(state, nio.RoomGetStateResponse):
                for event in state.events:
                    if event.get("type") == "m.space.child" and event.get("content", {}).get(
                        "via"
                    ):
                        allowed.add(event["state_key"])
        dms = await self.state.get("dm_rooms")
        if dms:
            self.dm_room_ids = set(json.loads(dms).values())
            allowed.update(self.dm_room_ids)
        extra = await self.state.get("private_rooms")
        if extra:
            allowed.update(json.loads(extra))
        self.allowed_rooms = allowed

    # -- sync ----------------------------------------------------------------------------

    async def _sync_loop(self) -> None:
        backoff = 1.0
        catching_up = True
        while self._running:
            # The first sync returns at once with what arrived while Haven was away.
            # The catch-up sync also brings the rooms' full state (power levels, members),
            # which a fresh process lacks when it resumes from a stored since-token.
            response = await self.client.sync(
                timeout=0 if catching_up else self.settings.sync_timeout_ms,
                full_state=catching_up or None,
                sync_filter=SYNC_FILTER,
                since=self.client.next_batch,
            )
            if not isinstance(response, nio.SyncResponse):
                log.warning("sync failed (%s); retrying in %.0f s", response, backoff)
                self._ready.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            try:
                await self._handle_batch(response)
            except Exception:
                log.exception("handling a sync batch failed")
            await self.state.set(self._since_key, response.next_batch)
            catching_up = False
            self._ready.set()

    async def _handle_batch(self, response: nio.SyncResponse) -> None:
        await self._handle_invites(response)
        tasks = []
        for room_id, info in response.rooms.join.items():
            if room_id not in self.allowed_rooms:
                continue
            events = [
                e
                for e in info.timeline.events
                if getattr(e, "sender", None) != self.client.user_id
            ]
            if events:
                # Rooms are served side by side; within a room, in the order people wrote.
                tasks.append(self._spawn(self._handle_room_events(room_id, events)))
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle_room_events(self, room_id: str, events: list[nio.Event]) -> None:
        for event in events:
            await self._handle_event(room_id, event)

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task = asyncio.create_task(coro)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        return task

    async def _handle_invites(self, response: nio.SyncResponse) -> None:
        for room_id, info in response.rooms.invite.items():
            inviter, direct = None, False
            for event in info.invite_state:
                if isinstance(event, nio.InviteMemberEvent) and (
                    event.state_key == self.client.user_id
                ):
                    inviter = event.sender
                    direct = bool(event.content.get("is_direct"))
            if room_id in self.allowed_rooms or (direct and await self._is_member(inviter)):
                joined = await self.client.join(room_id)
                if isinstance(joined, nio.JoinResponse) and direct:
                    await self._remember_dm(inviter or "", room_id)
                elif isinstance(joined, nio.JoinResponse) and room_id == self.settings.space_id:
                    await self._refresh_allowed_rooms()
            else:
                log.info("declining an invite to a room outside the space")
                await self.client.room_leave(room_id)

    async def _is_member(self, user_id: str | None) -> bool:
        space = self.settings.space_id
        if not user_id or not space or space not in self.client.rooms:
            return False
        return user_id in self.client.rooms[space].users

    async def _handle_event(self, room_id: str, event: nio.Event) -> None:
        try:
            if isinstance(event, nio.RoomMessageText):
                if event.sender in self.settings.ignore_users:
                    return
                text = command_text(event.body, event.formatted_body)
                if not text.startswith(self.settings.command_prefix):
                    if self.app.events.wants_messages and await self.state.claim_event(
                        event.event_id
                    ):
                        await self._publish_message(room_id, event, text)
                    return
                if not await self.state.claim_event(event.event_id):
                    return
                await self._handle_command(
                    room_id, event, text[len(self.settings.command_prefix) :]
                )
            elif isinstance(event, nio.RoomMemberEvent):
                joined = event.membership == "join" and event.prev_membership != "join"
                if joined and await self.state.claim_event(event.event_id):
                    person = self._person(room_id, event.state_key)
                    await self.app.events.joined(
                        MemberJoined(person, self._room(room_id), self.app.clock.now())
                    )
            elif isinstance(event, nio.ReactionEvent):
                if not await self.state.claim_event(event.event_id):
                    return
                await self._handle_reaction(room_id, event)
            elif isinstance(event, nio.MegolmEvent):
                log.warning("an encrypted message arrived; Haven serves unencrypted rooms only")
            elif isinstance(event, nio.UnknownEvent) and event.type == "m.space.child":
                await self._refresh_allowed_rooms()
        except Exception as exc:
            # Never the exception's message: on this path it may quote what someone wrote.
            log.error("handling a Matrix event failed\n%s", describe_exception(exc))

    async def _publish_message(self, room_id: str, event: nio.RoomMessageText, text: str) -> None:
        author = self._person(room_id, event.sender)
        link = f"https://matrix.to/#/{room_id}/{event.event_id}"
        message = MessageRef(PLATFORM, room_id, event.event_id, author, text, link)
        await self.app.events.message(
            IncomingMessage(
                message,
                self._room(room_id),
                author,
                self.app.clock.now(),
                self.configured_purpose(room_id),
            )
        )

    def configured_purpose(self, room_id: str) -> str | None:
        """The purpose a room has in `matrix.rooms` (lobby, moderators, ...), if any."""
        for purpose, configured in self.settings.rooms.items():
            if configured == room_id:
                return purpose
        return None

    # -- commands ------------------------------------------------------------------------

    def _roles(self, user_id: str) -> frozenset[Role]:
        level = 0
        space = self.settings.space_id
        if space and space in self.client.rooms:
            level = self.client.rooms[space].power_levels.get_user_level(user_id)
        return roles_for(user_id, level, self.settings.roles)

    def _person(self, room_id: str, user_id: str) -> PersonRef:
        room = self.client.rooms.get(room_id)
        name = room.user_name(user_id) if room is not None else None
        return PersonRef(PLATFORM, user_id, name or "")

    def _room(self, room_id: str) -> RoomRef:
        room = self.client.rooms.get(room_id)
        name = room.display_name if room is not None else ""
        private = room is not None and room.member_count <= 2
        return RoomRef(PLATFORM, room_id, name, private)

    async def _handle_command(self, room_id: str, event: nio.RoomMessageText, line: str) -> None:
        identity = self._person(room_id, event.sender)
        roles = self._roles(event.sender)
        room = self._room(room_id)
        try:
            command, args = parse_command_line(
                self.app.registry, line, self.settings.command_prefix
            )
        except TextCommandError as exc:
            discreet = exc.command is not None and exc.command.discreet and not room.private
            if discreet:
                await self._remove_quietly(room_id, event.event_id)
            reply = await self.app.dispatcher.refusal(
                identity, roles, exc.error, self, exc.command
            )
            if discreet:
                await self.send_private(identity, reply)
            else:
                await self._deliver(room_id, event, identity, reply)
            return
        discreet = command.discreet and not room.private
        target = None
        if command.message_menu_key:
            target = await self._replied_message(room_id, event)
        if discreet:
            # Gone before anyone reads it: the room must not learn who reported or asked.
            await self._remove_quietly(room_id, event.event_id)
        args = {k: self._resolve(command, k, v, room_id) for k, v in args.items()}
        invocation = Invocation(command, identity, roles, room, args, message=target)
        reply = await self.app.dispatcher.invoke(invocation, self)
        if discreet:
            await self.send_private(identity, reply)
        else:
            await self._deliver(room_id, event, identity, reply)

    async def _remove_quietly(self, room_id: str, event_id: str) -> None:
        """Redact a discreet command's own message (no reason text: it would show)."""
        response = await self.client.room_redact(room_id, event_id)
        if not isinstance(response, nio.RoomRedactResponse):
            log.warning("could not redact a discreet command in %s: %s", room_id, response)

    async def _replied_message(
        self, room_id: str, event: nio.RoomMessageText
    ) -> MessageRef | None:
        """The message a command replies to: Matrix's form of a message context menu."""
        relates = event.source.get("content", {}).get("m.relates_to") or {}
        target_id = (relates.get("m.in_reply_to") or {}).get("event_id")
        if not target_id:
            return None
        response = await self.client.room_get_event(room_id, target_id)
        if not isinstance(response, nio.RoomGetEventResponse):
            return None
        target = response.event
        body = getattr(target, "body", None)
        link = f"https://matrix.to/#/{room_id}/{target_id}"
        author = self._person(room_id, target.sender)
        return MessageRef(PLATFORM, room_id, target_id, author, body, link)

    def _resolve(self, command: Command, name: str, value: Any, room_id: str) -> Any:
        param = command.param(name)
        if param is None or not isinstance(value, str):
            return value
        if param.type is ParamType.MEMBER and looks_like_user_id(value):
            return self._person(room_id, value)
        if param.type is ParamType.ROOM and value in self.client.rooms:
            return self._room(value)
        return value

    async def _handle_reaction(self, room_id: str, event: nio.ReactionEvent) -> None:
        stored = await self.state.get(f"buttons:{event.reacts_to}")
        if stored is None:
            # The prompt's controls are stored just after it is sent; a very quick
            # reaction can overtake that write.
            await asyncio.sleep(0.5)
            stored = await self.state.get(f"buttons:{event.reacts_to}")
        if stored is None:
            return
        spec = json.loads(stored)
        key = event.key.replace("\ufe0f", "")
        action = spec["actions"].get(key)
        allowed = key in spec.get("public", []) or spec.get("user") in (None, event.sender)
        if action is None or not allowed:
            return
        command_name, _, argument = action.partition(":")
        command = self.app.registry.get(command_name)
        if command is None:
            return
        identity = self._person(room_id, event.sender)
        try:
            args = action_arguments(command, argument)
        except UserError:
            return
        invocation = Invocation(
            command, identity, self._roles(event.sender), self._room(room_id), args
        )
        reply = await self.app.dispatcher.invoke(invocation, self)
        await self._send(room_id, reply, reply_to=event.reacts_to)

    # -- delivering replies --------------------------------------------------------------

    async def _deliver(
        self, room_id: str, event: nio.RoomMessageText, identity: PersonRef, reply: Reply
    ) -> None:
        keep_inline = reply.kind in (ReplyKind.ERROR, ReplyKind.CONFIRM)
        if reply.private and not keep_inline and not self._room(room_id).private:
            dm = await self.private_room(identity.user_id)
            await self._send(dm, reply)
            translator = await self._translator_for(identity)
            pointer = Reply(translator.gettext("common.sent_privately"))
            await self._send(room_id, pointer, reply_to=event.event_id)
            return
        await self._send(room_id, reply, reply_to=event.event_id, addressee=identity)

    async def _translator_for(self, identity: PersonRef) -> Translator:
        _, person = await self.app.dispatcher.actor_for(identity, frozenset())
        return self.app.dispatcher.translator(self.app.dispatcher.locale_for(person, None))

    async def _send(
        self,
        room_id: str,
        reply: Reply,
        *,
        reply_to: str | None = None,
        addressee: PersonRef | None = None,
        tx_id: str | None = None,
    ) -> str:
        text = reply.text
        if reply.buttons:
            hints = " · ".join(f"{b.emoji} {b.label}" for b in reply.buttons if b.emoji)
            text = f"{text}\n{hints}"
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": text,
            "format": "org.matrix.custom.html",
            "formatted_body": render_html(text, reply.mentions, reply.spoilers),
            "m.mentions": {"user_ids": sorted({p.user_id for p in reply.mentions})},
        }
        if reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        sent = _ok(
            await self.client.room_send(room_id, "m.room.message", content, tx_id=tx_id),
            nio.RoomSendResponse,
            "send",
        )
        for attachment in reply.attachments:
            await self._send_file(room_id, attachment)
        if reply.buttons:
            actions = {b.emoji: b.action for b in reply.buttons if b.emoji}
            public = [b.emoji for b in reply.buttons if b.emoji and not b.personal]
            user = addressee.user_id if addressee is not None else None
            spec = {"actions": actions, "user": user, "public": public}
            await self.state.set(f"buttons:{sent.event_id}", json.dumps(spec))
        return sent.event_id

    async def _send_file(self, room_id: str, attachment: Attachment) -> str:
        """Upload a file to the media repository and post it (images as m.image)."""
        uploaded, _ = await self.client.upload(
            io.BytesIO(attachment.data),
            content_type=attachment.mime,
            filename=attachment.filename,
            filesize=len(attachment.data),
        )
        uploaded = _ok(uploaded, nio.UploadResponse, "upload")
        msgtype = "m.image" if attachment.mime.startswith("image/") else "m.file"
        content = {
            "msgtype": msgtype,
            "body": attachment.description or attachment.filename,
            "filename": attachment.filename,
            "url": uploaded.content_uri,
            "info": {"mimetype": attachment.mime, "size": len(attachment.data)},
        }
        sent = _ok(
            await self.client.room_send(room_id, "m.room.message", content),
            nio.RoomSendResponse,
            "send file",
        )
        return sent.event_id

    async def private_room(self, user_id: str) -> str:
        """The direct room with `user_id`, created (and remembered) on first use."""
        stored = await self.state.get("dm_rooms")
        rooms: dict[str, str] = json.loads(stored) if stored else {}
        existing = rooms.get(user_id)
        if existing and existing in self.client.rooms:
            return existing
        created = _ok(
            await self.client.room_create(
                is_direct=True, invite=[user_id], preset=nio.RoomPreset.trusted_private_chat
            ),
            nio.RoomCreateResponse,
            "create direct room",
        )
        await self._remember_dm(user_id, created.room_id)
        return created.room_id

    async def _remember_dm(self, user_id: str, room_id: str) -> None:
        stored = await self.state.get("dm_rooms")
        rooms: dict[str, str] = json.loads(stored) if stored else {}
        rooms[user_id] = room_id
        await self.state.set("dm_rooms", json.dumps(rooms))
        self.allowed_rooms.add(room_id)
        self.dm_room_ids.add(room_id)

    async def forget_room(self, room_id: str) -> None:
        """Stop serving a room Haven created (it was closed)."""
        stored = await self.state.get("private_rooms")
        rooms: list[str] = json.loads(stored) if stored else []
        if room_id in rooms:
            rooms.remove(room_id)
            await self.state.set("private_rooms", json.dumps(rooms))
        self.allowed_rooms.discard(room_id)

    async def remember_room(self, room_id: str) -> None:
        """Serve a room Haven created outside the space (e.g. a private room)."""
        stored = await self.state.get("private_rooms")
        rooms: list[str] = json.loads(stored) if stored else []
        if room_id not in rooms:
            rooms.append(room_id)
            await self.state.set("private_rooms", json.dumps(rooms))
        self.allowed_rooms.add(room_id)

    # -- ChatPlatform port ---------------------------------------------------------------

    def command_syntax(self, command: Command, translate: Translator) -> str:
        """`!group sub <param> [param] [--option <option>]`."""
        parts = [f"{self.settings.command_prefix}{command.qualified_name}"]
        for param in command.positionals:
            parts.append(f"<{param.shown_name}>" if param.required else f"[{param.shown_name}]")
        for param in command.options:
            if param.type is ParamType.BOOLEAN:
                parts.append(f"[--{param.shown_name}]")
            else:
                parts.append(f"[--{param.shown_name} <{param.name}>]")
        return " ".join(parts)

    def room_for(self, purpose: str) -> RoomRef | None:
        """The room configured for `purpose` in `matrix.rooms`."""
        room_id = self.settings.rooms.get(purpose)
        return None if room_id is None else self._room(room_id)

    def mention(self, person: PersonRef) -> str:
        """The user id; `render_html` turns it into a pill."""
        return person.user_id

    async def send(self, room: RoomRef, reply: Reply) -> MessageRef:
        """Post in a room."""
        event_id = await self._send(room.room_id, reply)
        return MessageRef(PLATFORM, room.room_id, event_id)

    async def send_once(self, room: RoomRef, reply: Reply, key: str) -> MessageRef:
        """Post in a room at most once per `key`, even across a crash: the homeserver
        answers a repeated transaction id with the event it already created."""
        event_id = await self._send(room.room_id, reply, tx_id=key)
        return MessageRef(PLATFORM, room.room_id, event_id)

    async def send_private(self, person: PersonRef, reply: Reply) -> MessageRef:
        """Post in the direct room with `person`."""
        room_id = await self.private_room(person.user_id)
        event_id = await self._send(room_id, reply)
        return MessageRef(PLATFORM, room_id, event_id)

    async def fetch_message(self, room_id: str, message_id: str) -> MessageRef | None:
        """A message by id (e.g. one a member links to in a report), if Haven can read it."""
        response = await self.client.room_get_event(room_id, message_id)
        if not isinstance(response, nio.RoomGetEventResponse):
            return None
        event = response.event
        author = self._person(room_id, event.sender)
        link = f"https://matrix.to/#/{room_id}/{message_id}"
        body = getattr(event, "body", None)
        return MessageRef(PLATFORM, room_id, message_id, author, body, link)

    async def members_with_role(self, role: str) -> list[PersonRef]:
        """Members of the space who hold `role` (by power level or the configured lists)."""
        wanted = Role(role)
        space = self.settings.space_id
        users: set[str] = set(self.settings.roles.users.get(wanted, []))
        if space and space in self.client.rooms:
            room = self.client.rooms[space]
            # Members are lazy-loaded: people with a role have an explicit power level.
            for user_id in {*room.users, *room.power_levels.users}:
                if wanted in self._roles(user_id):
                    users.add(user_id)
        users.discard(self.client.user_id)
        return [PersonRef(PLATFORM, user_id) for user_id in sorted(users)]

    async def event_reports(self, limit: int = 100) -> list[dict[str, Any]] | None:
        """The homeserver's newest event reports with their events (Synapse admin API),
        or None when Haven's account is not a server admin."""
        base = "/_synapse/admin/v1/event_reports"
        listing = await self._admin_get(f"{base}?dir=b&limit={limit}")
        if listing is None:
            return None
        detailed = []
        for report in listing.get("event_reports", []):
            detailed.append(await self._admin_get(f"{base}/{report['id']}") or report)
        return detailed

    async def _admin_get(self, path: str) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {self.client.access_token}"}
        response = await self.client.send("GET", path, headers=headers)
        try:
            if response.status != 200:
                return None
            return dict(await response.json())
        finally:
            response.release()
