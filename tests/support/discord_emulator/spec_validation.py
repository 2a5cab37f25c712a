"""Check recorded REST responses against Discord's OpenAPI spec (v10, OpenAPI 3.1).

For each :class:`~.rest_core.RecordedCall` the validator

1. finds the spec operation: the concrete path is matched against every spec path
   template (literal segments beat ``{params}``, so ``/members/@me`` wins over
   ``/members/{user_id}``) together with the HTTP method;
2. picks the declared response for the status (exact code, else ``4XX``/``5XX``, else
   ``default``); an undeclared status is an error;
3. for responses declared without content (e.g. 204) requires an empty body, otherwise
   validates the JSON body with JSON Schema 2020-12 (the dialect of OpenAPI 3.1), with
   ``$ref`` resolved inside the spec document and these formats *asserted*:
   ``snowflake``, ``int32``, ``int64``, ``date-time`` (RFC 3339 with offset), ``uri``
   (absolute) and ``double``.  ``oneOf`` is enforced strictly (exactly one branch).

Known spec deviations (patched in memory, listed in :data:`SPEC_DEVIATIONS`):

* ``InnerErrors._errors[].code`` -- the spec reuses the top-level ``Error`` schema
  (integer ``code``), but Discord's field errors carry string codes such as
  ``"BASE_TYPE_REQUIRED"`` (documented under "Error Messages" in Discord's reference, and
  what discord.py parses).  Field error codes are validated as strings instead.

The spec file is ``shared/discord-api-spec/openapi.json`` next to the repository
checkout; override with the ``DISCORD_OPENAPI_SPEC`` environment variable.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .rest_core import RecordedCall

SPEC_URI = "urn:discord-openapi"
HTTP_METHODS = ("get", "put", "post", "patch", "delete")

SPEC_DEVIATIONS: dict[str, str] = {
    "InnerErrors._errors.items": (
        "Field-level error codes are strings on Discord (e.g. BASE_TYPE_REQUIRED); the spec "
        "reuses the integer-coded top-level Error schema."
    ),
}


def default_spec_path() -> Path:
    """Where the spec lives: ``$DISCORD_OPENAPI_SPEC`` or ``<repo>/../shared/...``."""
    env = os.environ.get("DISCORD_OPENAPI_SPEC")
    if env:
        return Path(env)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "discord-api-spec" / "openapi.json"


def _check_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) < 11 or value[10] not in "Tt":
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


def _check_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("mailto", "urn"))


def _int_range(bits: int):
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def check(value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return True
        return low <= value <= high

    return check


def _check_snowflake(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return value.isdigit() and int(value) < 2**64


def _check_double(value: object) -> bool:
    return not isinstance(value, bool)


def format_checker() -> jsonschema.FormatChecker:
    """Format checker asserting the formats the Discord spec relies on."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(_check_date_time)
    checker.checks("uri")(_check_uri)
    checker.checks("int32")(_int_range(32))
    checker.checks("int64")(_int_range(64))
    checker.checks("snowflake")(_check_snowflake)
    checker.checks("double")(_check_double)
    return checker


def _apply_deviations(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    schemas["InnerErrors"]["properties"]["_errors"]["items"] = {
        "type": "object",
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        "required": ["code", "message"],
    }


def _pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


class SpecValidator:
    """Validates REST responses against the OpenAPI document."""

    def __init__(self, spec_path: str | Path | None = None) -> None:
        path = Path(spec_path) if spec_path is not None else default_spec_path()
        with path.open(encoding="utf-8") as fh:
            self.spec: dict[str, Any] = json.load(fh)
        self.original = copy.deepcopy(self.spec)
        _apply_deviations(self.spec)
        resource = Resource.from_contents(self.spec, default_specification=DRAFT202012)
        self.registry: Registry = Registry().with_resource(SPEC_URI, resource)
        self.format_checker = format_checker()
        self._templates = [
            (template, template.strip("/").split("/")) for template in self.spec["paths"]
        ]
        self._templates.sort(key=lambda t: -sum(1 for s in t[1] if not s.startswith("{")))

    # ------------------------------------------------------------ lookups
    def match_path(self, method: str, path: str) -> str | None:
        """Spec template for a concrete path (relative to ``/api/v10``) and method."""
        segments = [unquote(s) for s in path.split("?")[0].strip("/").split("/")]
        for template, parts in self._templates:
            if len(parts) != len(segments):
                continue
            if method.lower() not in self.spec["paths"][template]:
                continue
            if all(
                p == s or (p.startswith("{") and s) for p, s in zip(parts, segments, strict=True)
            ):
                return template
        return None

    def response_pointer(self, template: str, method: str, status: int) -> tuple[str, bool]:
        """JSON pointer of the response schema and whether content is declared.

        Raises KeyError when the status is not declared for the operation.
        """
        responses = self.spec["paths"][template][method.lower()]["responses"]
        base = f"/paths/{_pointer_escape(template)}/{method.lower()}/responses"
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                response = responses[key]
                pointer = f"{base}/{_pointer_escape(key)}"
                if "$ref" in response:
                    pointer = response["$ref"][1:]
                    response = self._resolve_pointer(pointer)
                content = response.get("content", {}).get("application/json")
                if content is None:
                    return pointer, False
                return f"{pointer}/content/application~1json/schema", True
        raise KeyError(f"status {status} not declared (declared: {sorted(responses)})")

    def _resolve_pointer(self, pointer: str) -> Any:
        node: Any = self.spec
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    @functools.lru_cache(maxsize=512)  # noqa: B019 - validator lives for the test session
    def _validator(self, pointer: str) -> jsonschema.protocols.Validator:
        schema = {"$ref": f"{SPEC_URI}#{pointer}"}
        return jsonschema.Draft202012Validator(
            schema, registry=self.registry, format_checker=self.format_checker
        )

    # ------------------------------------------------------------ validation
    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Problems with one response (empty list when it conforms)."""
        template = self.match_path(method, path)
        where = f"{method} {path} -> {status}"
        if template is None:
            return [f"{where}: no operation for this path and method in the spec"]
        try:
            pointer, has_content = self.response_pointer(template, method, status)
        except KeyError as exc:
            return [f"{where}: {exc.args[0]}"]
        if not has_content:
            if body is not None:
                return [f"{where}: spec declares no body but one was sent"]
            return []
        if body is None:
            return [f"{where}: spec declares a JSON body but none was sent"]
        problems = []
        for error in sorted(self._validator(pointer).iter_errors(body), key=str):
            location = "/".join(str(p) for p in error.absolute_path) or "<root>"
            problems.append(f"{where} [{template}]: at {location}: {_describe(error)}")
        return problems

    def validate_call(self, call: RecordedCall) -> list[str]:
        """Problems with a recorded call."""
        return self.validate_response(call.method, call.path, call.status, call.response_json)


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "oneOf" and error.context:
        # Report the branch that got furthest: the deepest sub-error.
        best = max(error.context, key=lambda e: len(e.absolute_path))
        suffix = f" (closest branch: {'/'.join(map(str, best.absolute_path))}: {best.message})"
        return _short(error.message) + suffix
    return _short(error.message)


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "..."


@functools.lru_cache(maxsize=4)
def _shared_validator(path: str) -> SpecValidator:
    return SpecValidator(path)


def validate_calls(
    calls: Iterable[RecordedCall],
    validator: SpecValidator | None = None,
    *,
    include_unknown_routes: bool = False,
) -> list[str]:
    """Validate every recorded response; returns the list of problems (empty = OK).

    Calls the emulator had no route for are skipped unless ``include_unknown_routes``
    (assert on :attr:`DiscordEmulator.unknown_routes` for those).
    """
    validator = validator or _shared_validator(str(default_spec_path()))
    problems: list[str] = []
    for call in calls:
        if call.template is None and not include_unknown_routes:
            continue
        problems.extend(validator.validate_call(call))
    return problems
