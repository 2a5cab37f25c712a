"""REST plumbing of the emulator: routing, auth, errors, rate-limit injection, call log.

Routes are declared with the OpenAPI spec's path templates (``/channels/{channel_id}``)
so that every recorded call names the exact spec operation it answers.  A request
matching no route gets Discord's ``404: Not Found`` JSON and is recorded in
``unknown_routes``.  Responses carry ``Content-Type: application/json`` exactly (no
charset suffix), like Discord, because discord.py compares that header verbatim.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

if TYPE_CHECKING:
    from .app import DiscordEmulator

Json = dict[str, Any]
API_PREFIX = "/api/v10"


class RestError(Exception):
    """Raise from a handler to answer with Discord's error JSON."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> Json:
        """Discord's error object (ErrorResponse shape)."""
        out: Json = {"message": self.message, "code": self.code}
        if self.errors is not None:
            out["errors"] = self.errors
        return out


def not_found(what: str, code: int) -> RestError:
    """Discord's ``Unknown <what>`` 404 error."""
    return RestError(404, code, f"Unknown {what}")


def missing_permissions() -> RestError:
    """Discord's 403 ``Missing Permissions``."""
    return RestError(403, 50013, "Missing Permissions")


def invalid_form(field_name: str, message: str, code: str = "BASE_TYPE_REQUIRED") -> RestError:
    """Discord's 400 ``Invalid Form Body`` for one field."""
    return RestError(
        400,
        50035,
        "Invalid Form Body",
        {field_name: {"_errors": [{"code": code, "message": message}]}},
    )


@dataclass
class RestRequest:
    """A parsed request handed to route handlers."""

    method: str
    path: str
    template: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[Json]
    headers: dict[str, str]
    authorized_bot: bool

    def body(self) -> Json:
        """The JSON body as an object (empty dict if none)."""
        return self.json if isinstance(self.json, dict) else {}

    def flag(self, name: str) -> bool:
        """Interpret a boolean query parameter the way Discord does."""
        return self.query.get(name, "").lower() in ("1", "true")


@dataclass
class RestResponse:
    """What a handler returns: status and JSON body (None for 204)."""

    status: int
    body: Any = None


@dataclass
class RecordedCall:
    """One REST exchange, kept in :attr:`DiscordEmulator.calls`."""

    method: str
    path: str
    template: str | None
    status: int
    request_json: Any
    response_json: Any
    query: dict[str, str] = field(default_factory=dict)
    audit_log_reason: str | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def route(self) -> str:
        """``"METHOD /template"`` (or the concrete path when no route matched)."""
        return f"{self.method} {self.template or self.path}"


Handler = Callable[["DiscordEmulator", RestRequest], Awaitable[RestResponse]]


@dataclass
class Route:
    """A REST route: spec path template, method, handler and whether it needs the bot token."""

    method: str
    template: str
    handler: Handler
    auth: bool = True

    def __post_init__(self) -> None:
        self.segments = self.template.strip("/").split("/")
        self.literal_count = sum(1 for s in self.segments if not s.startswith("{"))

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        """Path parameters if ``segments`` fit this route, else None."""
        if method != self.method or len(segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if pattern.startswith("{"):
                if not value:
                    return None
                params[pattern[1:-1]] = value
            elif pattern != value:
                return None
        return params


@dataclass
class InjectedRateLimit:
    """A pending 429 injection (see :meth:`DiscordEmulator.rate_limit`)."""

    method: str | None
    pattern: str
    remaining: int
    retry_after: float
    is_global: bool

    def matches(self, method: str, template: str | None, path: str) -> bool:
        """Whether a request is hit by this injection."""
        if self.method is not None and self.method != method:
            return False
        return self.pattern == template or fnmatch.fnmatchcase(path, self.pattern)


class Router:
    """Finds the most specific route (most literal segments) for a request."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: -r.literal_count)

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """Route and path parameters for ``method path``, or None."""
        segments = [unquote(s) for s in path.strip("/").split("/")]
        for route in self.routes:
            params = route.match(method, segments)
            if params is not None:
                return route, params
        return None

    def path_known(self, path: str) -> bool:
        """Whether any route (of any method) has this path."""
        segments = [unquote(s) for s in path.strip("/").split("/")]
        return any(route.match(route.method, segments) is not None for route in self.routes)

    def template_for(self, method: str, path: str) -> str | None:
        """Template of the route matching ``method path``."""
        found = self.resolve(method, path)
        return found[0].template if found else None


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """An aiohttp response with Discord's exact ``Content-Type`` header."""
    all_headers = dict(headers or {})
    if status == 204 or body is None:
        return web.Response(status=status, headers=all_headers)
    all_headers["Content-Type"] = "application/json"
    return web.Response(
        status=status, body=json.dumps(body, separators=(",", ":")).encode(), headers=all_headers
    )


def ratelimit_headers(
    method: str, template: str | None, *, remaining: int, reset_after: float
) -> dict[str, str]:
    """The ``X-RateLimit-*`` headers Discord puts on every answer."""
    bucket = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:32]
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
        "Via": "1.1 google",
    }


async def parse_body(request: web.Request) -> tuple[Any, list[Json]]:
    """JSON body, or ``payload_json`` plus file descriptors for multipart bodies."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[Json] = []
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":
                payload = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                data = await part.read()  # type: ignore[union-attr]
                files.append(
                    {
                        "field": part.name,
                        "filename": part.filename,  # type: ignore[union-attr]
                        "content_type": part.headers.get("Content-Type"),
                        "size": len(data),
                        "data": data,
                    }
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        raise RestError(400, 50109, "The request body contains invalid JSON.") from None
