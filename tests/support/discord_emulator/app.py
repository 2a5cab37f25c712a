"""The :class:`DiscordEmulator`: an aiohttp server speaking Discord's REST API and gateway.

This module holds lifecycle, configuration, the bot's identity and the HTTP plumbing;
the test API lives in the mixins ``world`` (building state), ``acting`` (users acting)
and ``controls`` (waiting, gateway disruption, rate-limit injection).  See the package
docstring (``__init__.py``) and ``README.md`` for usage.
"""

from __future__ import annotations

import asyncio
import secrets
import traceback
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from . import permissions as perm
from . import (
    rest_channels,
    rest_commands,
    rest_guilds,
    rest_interactions,
    rest_messages,
    rest_users,
)
from .acting import UserActionsMixin
from .controls import ControlsMixin, Waiters
from .gateway import RESUME_PATH, GatewayServer
from .interactions import InteractionHandle
from .rest_core import (
    API_PREFIX,
    InjectedRateLimit,
    RecordedCall,
    RestError,
    RestRequest,
    Router,
    json_response,
    parse_body,
    ratelimit_headers,
)
from .snowflake import SnowflakeGenerator, iso_now
from .state import EmulatorState, Json
from .world import WorldMixin

ROUTES = (
    rest_users.ROUTES
    + rest_commands.ROUTES
    + rest_messages.ROUTES
    + rest_channels.ROUTES
    + rest_guilds.ROUTES
    + rest_interactions.ROUTES
)


@dataclass
class EmulatorConfig:
    """Tunables; change with :meth:`DiscordEmulator.configure` (also while running)."""

    #: Heartbeat interval announced in HELLO.
    heartbeat_interval_ms: int = 41250
    #: Dispatches kept per session for RESUME replay.
    resume_buffer_size: int = 1000
    #: Privileged intents enabled for the application (others close the gateway with 4014).
    privileged_intents: int = perm.PRIVILEGED_INTENTS
    #: Seconds the bot has for the initial interaction callback (Discord: 3).
    interaction_ack_timeout: float = 3.0
    #: Seconds an interaction token stays valid for follow-ups (Discord: 15 minutes).
    interaction_token_ttl: float = 900.0
    #: Permissions of the bot's managed role in guilds made by :meth:`create_guild`.
    bot_permissions: int = perm.ADMINISTRATOR
    #: Seconds aiohttp waits for handlers when stopping.
    shutdown_timeout: float = 0.5


class DiscordEmulator(WorldMixin, UserActionsMixin, ControlsMixin):
    """A local, in-memory Discord that the real discord.py client can log in to.

    Construct, ``await start()``, point discord.py at :attr:`api_base` /
    :attr:`gateway_url`, build a world with ``create_*`` and act as users with the async
    ``send_message``/``invoke_*``/``click_button`` methods.  Every REST exchange is in
    :attr:`calls`; requests to routes the emulator does not know are answered 404 and
    listed in :attr:`unknown_routes`; handler crashes are answered 500 and listed in
    :attr:`server_errors`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_name: str = "HavenTest",
        bot_token: str | None = None,
        **config: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.config = EmulatorConfig()
        self.configure(**config)
        self.ids = SnowflakeGenerator()
        self.state = EmulatorState(self.ids)
        bot = self.state.new_user(bot_name, bot=True)
        self.state.bot_user_id = bot["id"]
        self.state.application_id = self.ids.next()
        self.app_owner = self.state.new_user(f"{bot_name}-developer")
        self.bot_token = bot_token or (
            f"{secrets.token_urlsafe(18)}.{secrets.token_urlsafe(4)}.{secrets.token_urlsafe(27)}"
        )
        self.verify_key = secrets.token_hex(32)
        self.dm_app_permissions = perm.DEFAULT_EVERYONE
        self.gateway = GatewayServer(self)
        self.router = Router(list(ROUTES))
        self.calls: list[RecordedCall] = []
        self.unknown_routes: list[RecordedCall] = []
        self.server_errors: list[str] = []
        self.interactions: dict[str, InteractionHandle] = {}
        self.interactions_by_token: dict[str, InteractionHandle] = {}
        self.attachments: dict[str, bytes] = {}
        self.message_log: list[str] = []
        self._consumed: set[str] = set()
        self._rate_limits: list[InjectedRateLimit] = []
        self.waiters = Waiters()
        self._runner: web.AppRunner | None = None

    # ============================================================ lifecycle
    def configure(self, **changes: Any) -> EmulatorConfig:
        """Change :class:`EmulatorConfig` fields (unknown names raise TypeError)."""
        names = {f.name for f in fields(EmulatorConfig)}
        for key, value in changes.items():
            if key not in names:
                raise TypeError(f"unknown emulator setting {key!r}; known: {sorted(names)}")
            setattr(self.config, key, value)
        return self.config

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0 picks a free one, kept for restarts)."""
        if self._runner is not None:
            raise RuntimeError("emulator already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/", self._root)
        app.router.add_route("GET", RESUME_PATH, self.gateway.handle)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        app.router.add_route("GET", "/attachments/{cid}/{aid}/{name}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._outside_api)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.config.shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._runner = runner

    async def stop(self) -> None:
        """Close all gateway connections abruptly and stop listening (state is kept)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.gateway.close_all(code=None)
        await runner.cleanup()

    async def restart(self, downtime: float = 0.0) -> None:
        """Stop, wait ``downtime`` seconds, and listen again on the same port."""
        await self.stop()
        if downtime:
            await asyncio.sleep(downtime)
        await self.start()

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the emulator."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """REST base (what ``discord.http.Route.BASE`` must be set to)."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Gateway URL (what ``DiscordWebSocket.DEFAULT_GATEWAY`` must be set to)."""
        return f"ws://{self.host}:{self.port}/"

    @property
    def resume_gateway_url(self) -> str:
        """The ``resume_gateway_url`` given in READY (a distinct path, to verify its use)."""
        return f"ws://{self.host}:{self.port}{RESUME_PATH}"

    # ============================================================ identity
    @property
    def bot_user(self) -> Json:
        """The bot's user object."""
        return self.state.users[self.state.bot_user_id]

    @property
    def application_id(self) -> str:
        """The bot's application id."""
        return self.state.application_id

    @property
    def application_flags(self) -> int:
        """Application flags: the *_LIMITED flag of each enabled privileged intent."""
        flags = 1 << 23  # APPLICATION_COMMAND_BADGE
        if self.config.privileged_intents & perm.INTENT_GUILD_PRESENCES:
            flags |= 1 << 13
        if self.config.privileged_intents & perm.INTENT_GUILD_MEMBERS:
            flags |= 1 << 15
        if self.config.privileged_intents & perm.INTENT_MESSAGE_CONTENT:
            flags |= 1 << 19
        return flags

    def bot_user_payload(self, *, pii: bool = False) -> Json:
        """The bot user (UserPIIResponse shape when ``pii``)."""
        out = self.state.user_payload(self.state.bot_user_id)
        if pii:
            out.update({"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None})
        return out

    def application_payload(self) -> Json:
        """The bot's application (PrivateApplicationResponse shape)."""
        return {
            "id": self.state.application_id,
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "type": None,
            "bot": self.state.user_payload(self.state.bot_user_id),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": self.verify_key,
            "flags": self.application_flags,
            "flags_new": str(self.application_flags),
            "tags": [],
            "rpc_origins": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.state.user_payload(self.app_owner),
            "approximate_guild_count": len(self.state.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
            "integration_types_config": {"0": {}},
        }

    @staticmethod
    def now_iso() -> str:
        """Current time, ISO-8601 UTC."""
        return iso_now()

    # ============================================================ HTTP plumbing
    async def _root(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.gateway.handle(request)
        return await self._outside_api(request)

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.attachments.get(request.match_info["aid"])
        if data is None:
            return await self._outside_api(request)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _outside_api(self, request: web.Request) -> web.StreamResponse:
        call = RecordedCall(request.method, request.path, None, 404, None, None)
        call.response_json = {"message": "404: Not Found", "code": 0}
        self.calls.append(call)
        self.unknown_routes.append(call)
        self.waiters.poke()
        return json_response(404, call.response_json)

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path[len(API_PREFIX) :] or "/"
        method = request.method
        found = self.router.resolve(method, path)
        template = found[0].template if found else None
        query = dict(request.query)
        body: Any = None
        files: list[Json] = []
        try:
            body, files = await parse_body(request)
            status, payload, headers = await self._dispatch_rest(
                request, method, path, found, query, body, files
            )
        except RestError as err:
            status, payload = err.status, err.body()
            headers = ratelimit_headers(method, template, remaining=49, reset_after=1.0)
        reason = request.headers.get("X-Audit-Log-Reason")
        call = RecordedCall(
            method,
            path,
            template,
            status,
            body,
            payload,
            query,
            audit_log_reason=unquote(reason) if reason is not None else None,
        )
        self.calls.append(call)
        if found is None:
            self.unknown_routes.append(call)
        self.waiters.poke()
        return json_response(status, payload, headers)

    async def _dispatch_rest(
        self,
        request: web.Request,
        method: str,
        path: str,
        found: tuple[Any, dict[str, str]] | None,
        query: dict[str, str],
        body: Any,
        files: list[Json],
    ) -> tuple[int, Any, dict[str, str]]:
        if found is None:
            if self.router.path_known(path):
                raise RestError(405, 0, "405: Method Not Allowed")
            raise RestError(404, 0, "404: Not Found")
        route, params = found
        authorized = request.headers.get("Authorization") == f"Bot {self.bot_token}"
        if route.auth and not authorized:
            raise RestError(401, 0, "401: Unauthorized")
        for injection in self._rate_limits:
            if injection.remaining > 0 and injection.matches(method, route.template, path):
                injection.remaining -= 1
                headers = ratelimit_headers(
                    method, route.template, remaining=0, reset_after=injection.retry_after
                )
                headers["Retry-After"] = str(max(1, round(injection.retry_after)))
                headers["X-RateLimit-Scope"] = "user"
                if injection.is_global:
                    headers["X-RateLimit-Global"] = "true"
                payload = {
                    "message": "You are being rate limited.",
                    "retry_after": injection.retry_after,
                    "global": injection.is_global,
                    "code": 0,
                }
                return 429, payload, headers
        req = RestRequest(
            method=method,
            path=path,
            template=route.template,
            params=params,
            query=query,
            json=body,
            files=files,
            headers=dict(request.headers),
            authorized_bot=authorized,
        )
        try:
            response = await route.handler(self, req)
        except RestError:
            raise
        except Exception:
            self.server_errors.append(f"{method} {path}\n{traceback.format_exc()}")
            raise RestError(500, 0, "500: Internal Server Error") from None
        headers = ratelimit_headers(method, route.template, remaining=49, reset_after=1.0)
        return response.status, response.body, headers

    # ============================================================ misc
    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<DiscordEmulator {self.base_url} {state}>"
