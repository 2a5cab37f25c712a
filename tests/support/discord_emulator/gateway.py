"""The emulated Discord gateway (WebSocket): sessions, dispatch, resume, compression.

Protocol subset (API v10, JSON encoding):

* HELLO on connect (``heartbeat_interval`` configurable), HEARTBEAT -> HEARTBEAT_ACK.
* IDENTIFY -> READY (+ one GUILD_CREATE per guild); bad token closes with 4004,
  privileged intents the application lacks close with 4014.
* RESUME -> replay of every dispatch with a sequence number above the client's, then
  RESUMED; unknown/invalidated session -> INVALID_SESSION (d=false).
* REQUEST_GUILD_MEMBERS (op 8) -> one GUILD_MEMBERS_CHUNK.
* Test-triggered RECONNECT (op 7), INVALID_SESSION (op 9), and abrupt socket drops.

Every session keeps its own strictly increasing ``s`` and a buffer of what it was sent,
so a client that resumes gets exactly the dispatches it missed.  ``compress=zlib-stream``
is honoured (one zlib context per connection, ``Z_SYNC_FLUSH`` per message); any other
``compress`` value (e.g. ``zstd-stream``) is answered with uncompressed text frames,
which discord.py also accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import permissions as perm

if TYPE_CHECKING:
    from .app import DiscordEmulator

Json = dict[str, Any]

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

RESUME_PATH = "/gateway-resume/"

_GUILD_EVENTS_INTENT = {
    "GUILD_CREATE": perm.INTENT_GUILDS,
    "GUILD_UPDATE": perm.INTENT_GUILDS,
    "GUILD_DELETE": perm.INTENT_GUILDS,
    "GUILD_ROLE_CREATE": perm.INTENT_GUILDS,
    "GUILD_ROLE_UPDATE": perm.INTENT_GUILDS,
    "GUILD_ROLE_DELETE": perm.INTENT_GUILDS,
    "CHANNEL_CREATE": perm.INTENT_GUILDS,
    "CHANNEL_UPDATE": perm.INTENT_GUILDS,
    "CHANNEL_DELETE": perm.INTENT_GUILDS,
    "THREAD_CREATE": perm.INTENT_GUILDS,
    "THREAD_UPDATE": perm.INTENT_GUILDS,
    "THREAD_DELETE": perm.INTENT_GUILDS,
    "THREAD_MEMBER_UPDATE": perm.INTENT_GUILDS,
    "THREAD_MEMBERS_UPDATE": perm.INTENT_GUILDS,
    "GUILD_MEMBER_ADD": perm.INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": perm.INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": perm.INTENT_GUILD_MEMBERS,
    "GUILD_BAN_ADD": perm.INTENT_GUILD_MODERATION,
    "GUILD_BAN_REMOVE": perm.INTENT_GUILD_MODERATION,
}
_MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
_REACTION_EVENTS = {
    "MESSAGE_REACTION_ADD",
    "MESSAGE_REACTION_REMOVE",
    "MESSAGE_REACTION_REMOVE_ALL",
    "MESSAGE_REACTION_REMOVE_EMOJI",
}
_CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def required_intent(event: str, data: Json) -> int | None:
    """Intent a session needs to receive ``event`` (None: always delivered)."""
    if event in _GUILD_EVENTS_INTENT:
        return _GUILD_EVENTS_INTENT[event]
    in_guild = bool(data.get("guild_id"))
    if event in _MESSAGE_EVENTS:
        return perm.INTENT_GUILD_MESSAGES if in_guild else perm.INTENT_DIRECT_MESSAGES
    if event in _REACTION_EVENTS:
        if in_guild:
            return perm.INTENT_GUILD_MESSAGE_REACTIONS
        return perm.INTENT_DIRECT_MESSAGE_REACTIONS
    return None


@dataclass
class GatewayFrame:
    """One payload seen on the gateway, in either direction (for test assertions)."""

    direction: str  # "sent" (emulator -> client) or "received"
    op: int
    t: str | None
    s: int | None
    d: Any
    connection: int


@dataclass
class GatewaySession:
    """An identified gateway session; survives connection drops until invalidated."""

    session_id: str
    intents: int
    seq: int = 0
    buffer: list[tuple[int, str, Json]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    valid: bool = True

    def next_seq(self) -> int:
        """Allocate the next sequence number of this session."""
        self.seq += 1
        return self.seq


class GatewayConnection:
    """One WebSocket connection; frames are sent in order by a writer task."""

    def __init__(self, number: int, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.number = number
        self.request = request
        self.ws = ws
        self.path = request.path
        self.query = dict(request.query)
        self.compress = request.query.get("compress")
        self._zlib = zlib.compressobj() if self.compress == "zlib-stream" else None
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.session: GatewaySession | None = None
        self.resumed = False
        self.closed = False
        #: Close code the emulator sent (None if it never closed this connection itself).
        self.close_code: int | None = None
        self.writer: asyncio.Task[None] | None = None

    def enqueue(self, text: str) -> None:
        """Queue a serialised payload for sending."""
        if not self.closed:
            self.queue.put_nowait(text)

    async def write_loop(self) -> None:
        """Send queued payloads until a ``None`` sentinel or the socket closes."""
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                return
            try:
                if self._zlib is not None:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    def abort(self) -> None:
        """Kill the TCP connection without a close frame."""
        self.closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class GatewayServer:
    """Gateway endpoint plus the registry of sessions; owned by the emulator."""

    def __init__(self, emulator: DiscordEmulator) -> None:
        self.emu = emulator
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.frames: list[GatewayFrame] = []

    # ----------------------------------------------------------- properties
    @property
    def active(self) -> list[GatewayConnection]:
        """Connections still open."""
        return [c for c in self.connections if not c.closed]

    @property
    def current_session(self) -> GatewaySession | None:
        """The most recently identified valid session."""
        valid = [s for s in self.sessions.values() if s.valid]
        return valid[-1] if valid else None

    # ------------------------------------------------------------ dispatch
    def dispatch(self, event: str, data: Json) -> None:
        """Send ``event`` to every valid session (buffering it for disconnected ones)."""
        for session in list(self.sessions.values()):
            if not session.valid:
                continue
            needed = required_intent(event, data)
            lacking = needed is not None and not session.intents & needed
            if lacking and not self._always_delivered(event, data):
                continue
            payload = self._apply_content_intent(session, event, data)
            self._send_dispatch(session, event, payload)

    def _always_delivered(self, event: str, data: Json) -> bool:
        # Discord sends the bot its own GUILD_MEMBER_UPDATE regardless of intents.
        user = data.get("user") or {}
        return event == "GUILD_MEMBER_UPDATE" and user.get("id") == self.emu.state.bot_user_id

    def _apply_content_intent(self, session: GatewaySession, event: str, data: Json) -> Json:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE"):
            return data
        if session.intents & perm.INTENT_MESSAGE_CONTENT or not data.get("guild_id"):
            return data
        bot_id = self.emu.state.bot_user_id
        author = data.get("author") or {}
        if author.get("id") == bot_id or any(u["id"] == bot_id for u in data.get("mentions", [])):
            return data
        blanked = dict(data)
        for key, empty in _CONTENT_FIELDS.items():
            if key in blanked:
                blanked[key] = list(empty) if isinstance(empty, list) else empty
        blanked.pop("poll", None)
        return blanked

    def _send_dispatch(self, session: GatewaySession, event: str, data: Json) -> None:
        seq = session.next_seq()
        session.buffer.append((seq, event, data))
        if len(session.buffer) > self.emu.config.resume_buffer_size:
            del session.buffer[0]
        conn = session.connection
        if conn is not None and not conn.closed:
            self._send(conn, {"op": OP_DISPATCH, "t": event, "s": seq, "d": data})

    def _send(self, conn: GatewayConnection, payload: Json) -> None:
        self.frames.append(
            GatewayFrame(
                "sent",
                payload["op"],
                payload.get("t"),
                payload.get("s"),
                payload.get("d"),
                conn.number,
            )
        )
        conn.enqueue(json.dumps(payload, separators=(",", ":")))

    # ------------------------------------------------------- test controls
    def drop(self) -> int:
        """Abort every open connection without a close frame; returns how many."""
        conns = self.active
        for conn in conns:
            self._detach(conn)
            conn.abort()
        return len(conns)

    def send_reconnect(self) -> int:
        """Send op 7 RECONNECT on every open connection."""
        conns = self.active
        for conn in conns:
            self._send(conn, {"op": OP_RECONNECT, "d": None})
        return len(conns)

    def invalidate_session(self, *, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION; unless ``resumable`` the sessions are forgotten."""
        conns = self.active
        for conn in conns:
            if conn.session is not None and not resumable:
                conn.session.valid = False
            self._send(conn, {"op": OP_INVALID_SESSION, "d": resumable})
        return len(conns)

    async def close_all(self, code: int | None = None) -> None:
        """Close every connection: with a close frame if ``code`` else abruptly."""
        for conn in self.active:
            self._detach(conn)
            if code is None:
                conn.abort()
            else:
                conn.closed = True
                with contextlib.suppress(Exception):
                    await conn.ws.close(code=code)

    def _notify(self) -> None:
        self.emu.waiters.poke()

    # --------------------------------------------------------------- server
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for the gateway path(s)."""
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(len(self.connections) + 1, request, ws)
        self.connections.append(conn)
        conn.writer = asyncio.create_task(conn.write_loop())
        self._send(
            conn,
            {"op": OP_HELLO, "d": {"heartbeat_interval": self.emu.config.heartbeat_interval_ms}},
        )
        self._notify()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.frames.append(
                    GatewayFrame(
                        "received", payload.get("op"), None, None, payload.get("d"), conn.number
                    )
                )
                await self._on_payload(conn, payload)
                self._notify()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._detach(conn)
            conn.closed = True
            conn.queue.put_nowait(None)
            self._notify()
        return ws

    def _detach(self, conn: GatewayConnection) -> None:
        conn.closed = True
        if conn.session is not None and conn.session.connection is conn:
            conn.session.connection = None

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        # Let queued frames go out first so the client sees them before the close.
        conn.queue.put_nowait(None)
        if conn.writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(conn.writer), 1)
        self._detach(conn)
        conn.close_code = code
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_payload(self, conn: GatewayConnection, payload: Json) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            self._send(conn, {"op": OP_HEARTBEAT_ACK, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif op == OP_REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op in (OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE):
            pass
        else:
            await self._close(conn, 4001, "Unknown opcode")

    async def _identify(self, conn: GatewayConnection, data: Json) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated")
            return
        if data.get("token") != self.emu.bot_token:
            await self._close(conn, 4004, "Authentication failed")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await self._close(conn, 4013, "Invalid intent(s)")
            return
        lacking = intents & perm.PRIVILEGED_INTENTS & ~self.emu.config.privileged_intents
        if lacking:
            await self._close(conn, 4014, "Disallowed intent(s)")
            return
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents)
        self.sessions[session.session_id] = session
        session.connection = conn
        conn.session = session
        state = self.emu.state
        ready = {
            "v": 10,
            "user": self.emu.bot_user_payload(),
            "guilds": [{"id": gid, "unavailable": True} for gid in state.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.emu.resume_gateway_url,
            "application": {"id": state.application_id, "flags": self.emu.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "_trace": ['["haven-discord-emulator"]'],
        }
        self._send_dispatch(session, "READY", ready)
        all_members = bool(intents & perm.INTENT_GUILD_MEMBERS)
        for gid in state.guilds:
            if state.bot_user_id in state.members[gid]:
                payload = state.guild_create_payload(gid, all_members=all_members)
                self._send_dispatch(session, "GUILD_CREATE", payload)

    async def _resume(self, conn: GatewayConnection, data: Json) -> None:
        if data.get("token") != self.emu.bot_token:
            await self._close(conn, 4004, "Authentication failed")
            return
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not session.valid:
            self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            return
        last = data.get("seq") or 0
        oldest = session.buffer[0][0] if session.buffer else session.seq + 1
        if last + 1 < oldest:
            # Missed events fell out of the buffer: cannot resume.
            session.valid = False
            self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.connection
        if old is not None and old is not conn:
            self._detach(old)
            old.abort()
        session.connection = conn
        conn.session = session
        conn.resumed = True
        for seq, event, payload in session.buffer:
            if seq > last:
                self._send(conn, {"op": OP_DISPATCH, "t": event, "s": seq, "d": payload})
        self._send_dispatch(session, "RESUMED", {"_trace": ['["haven-discord-emulator"]']})

    def _request_members(self, conn: GatewayConnection, data: Json) -> None:
        session = conn.session
        if session is None:
            return
        state = self.emu.state
        gid = str(data.get("guild_id"))
        if gid not in state.guilds:
            return
        wanted = data.get("user_ids")
        query = data.get("query") or ""
        limit = data.get("limit") or 0
        members = []
        for uid in state.members[gid]:
            if wanted is not None and uid not in {str(w) for w in wanted}:
                continue
            if query and not state.users[uid]["username"].lower().startswith(query.lower()):
                continue
            members.append(state.member_payload(gid, uid))
        if limit:
            members = members[:limit]
        chunk: Json = {
            "guild_id": gid,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
