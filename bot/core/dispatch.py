"""The dispatcher: permission check, argument conversion, confirmation, handler, errors.

Both adapters call `invoke` with an `Invocation`; everything that decides what happens
lives here, so the two platforms behave the same.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta, tzinfo
from typing import Any

from bot.core.binding import ArgumentError
from bot.core.capabilities import CapabilityPolicy, Role
from bot.core.commands import Command, CommandRegistry, Param
from bot.core.context import Actor, Context, MessageRef, PersonRef, RoomRef
from bot.core.conversion import convert, decode_arg, encode_arg
from bot.core.errors import UserError
from bot.core.i18n import Catalogues, Translator, normalise_locale
from bot.core.logsafe import describe_exception
from bot.core.ports import (
    ChatPlatform,
    Clock,
    ConfirmationStore,
    PendingConfirmation,
    PeopleStore,
    Person,
)
from bot.core.replies import Button, ButtonStyle, Reply, ReplyKind

log = logging.getLogger(__name__)

CONFIRMATION_TTL = timedelta(minutes=10)

PermissionRefused = Callable[["Context", Mapping[str, Any]], Awaitable[None]]
"""Told when the dispatcher refuses a command for lack of capability (gets the raw args).

Such a refusal never reaches the feature, so a feature that must audit every refused
access to its data (case files) registers one of these on `Dispatcher.on_permission_refused`.
"""

SeenHook = Callable[[Context], Awaitable[None]]
"""Runs with every command's context before it is handled (e.g. last-seen bookkeeping and
the privacy notice on first contact). Must be cheap on the usual path; failures are logged."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """A request to run a command, as an adapter understood it."""

    command: Command
    identity: PersonRef
    roles: frozenset[Role]
    room: RoomRef
    args: Mapping[str, Any] = field(default_factory=dict)
    locale_hint: str | None = None
    message: MessageRef | None = None


class Dispatcher:
    """Runs commands for every adapter with the same rules."""

    def __init__(
        self,
        registry: CommandRegistry,
        people: PeopleStore,
        confirmations: ConfirmationStore,
        catalogues: Catalogues,
        policy: CapabilityPolicy,
        clock: Clock,
        *,
        default_locale: str = "en",
        timezone: tzinfo,
    ) -> None:
        self.registry = registry
        self.people = people
        self.confirmations = confirmations
        self.catalogues = catalogues
        self.policy = policy
        self.clock = clock
        self.default_locale = default_locale
        self.timezone = timezone
        self.on_permission_refused: list[PermissionRefused] = []
        self.seen_hooks: list[SeenHook] = []

    # -- people and language -------------------------------------------------------------

    async def actor_for(self, identity: PersonRef, roles: frozenset[Role]) -> tuple[Actor, Person]:
        """The actor behind a platform identity (the person is created on first sight)."""
        person = await self.people.ensure_person(identity.platform, identity.user_id)
        actor = Actor(
            identity=identity,
            person_id=person.person_id,
            roles=roles,
            capabilities=self.policy.capabilities(roles),
        )
        return actor, person

    def locale_for(self, person: Person | None, hint: str | None) -> str:
        """The person's chosen language, else the platform's hint, else the default."""
        if person is not None and person.language:
            return person.language
        return normalise_locale(hint) or self.default_locale

    def translator(self, locale: str) -> Translator:
        """A translator for `locale`."""
        return self.catalogues.translator(locale)

    # -- running commands ----------------------------------------------------------------

    async def invoke(self, invocation: Invocation, platform: ChatPlatform) -> Reply:
        """Run one command invocation and return the reply for its invoker."""
        command = invocation.command
        actor, person = await self.actor_for(invocation.identity, invocation.roles)
        locale = self.locale_for(person, invocation.locale_hint)
        translator = self.translator(locale)
        ctx = Context(
            actor=actor,
            room=invocation.room,
            locale=locale,
            translator=translator,
            platform=platform,
            command=command,
            now=self.clock.now(),
            message=invocation.message,
            extras={"zone": self.timezone},
        )
        for hook in self.seen_hooks:
            try:
                await hook(ctx)
            except Exception:
                log.exception("a seen hook failed (command %s)", command.qualified_name)
        try:
            if not actor.can(command.capability):
                await self._permission_refused(ctx, invocation.args)
                raise UserError("error.no_permission", capability=command.capability.value)
            args = self.convert_args(command, invocation.args, ctx)
            if command.check is not None:
                await command.check(ctx, **args)
            if command.confirm_key is not None:
                return await self._ask_confirmation(ctx, args)
            reply = await command.handler(ctx, **args)
        except ArgumentError as exc:
            return self.error_reply(translator, exc, platform, command)
        except UserError as exc:
            return self.error_reply(translator, exc)
        except Exception as exc:
            reference = secrets.token_hex(4)
            log.error(
                "command %s failed (reference %s)\n%s",
                command.qualified_name,
                reference,
                describe_exception(exc),  # never the message: it may quote the person
            )
            return Reply(
                translator.gettext("error.internal", reference=reference),
                kind=ReplyKind.ERROR,
                private=True,
            )
        return reply or Reply(translator.gettext("common.done"), private=command.private)

    def convert_args(self, command: Command, raw: Mapping[str, Any], ctx: Context) -> dict:
        """Convert every argument; missing required ones and bad values raise ArgumentError."""
        converted: dict[str, Any] = {}
        for param in command.params:
            if param.name not in raw or raw[param.name] is None:
                if param.required and not param.option:
                    raise ArgumentError("error.missing_argument", name=param.name)
                converted[param.name] = param.default
                continue
            converted[param.name] = self._convert_one(param, raw[param.name], ctx)
        if command.message_menu_key and "message" not in converted:
            converted["message"] = ctx.message
        return converted

    def _convert_one(self, param: Param, value: Any, ctx: Context) -> Any:
        try:
            return convert(param, value, zone=self.timezone, now=ctx.now)
        except ArgumentError:
            raise
        except UserError as exc:
            raise ArgumentError(exc.key, **exc.args_) from None

    def error_reply(
        self,
        translator: Translator,
        error: UserError,
        platform: ChatPlatform | None = None,
        command: Command | None = None,
    ) -> Reply:
        """A private, localised refusal; with usage when the arguments were wrong."""
        text = translator.gettext(error.key, **error.args_)
        if platform is not None and command is not None:
            usage = platform.command_syntax(command, translator)
            text = f"{text}\n{translator.gettext('common.usage', usage=usage)}"
        return Reply(text, kind=ReplyKind.ERROR, private=True)

    async def refusal(
        self,
        identity: PersonRef,
        roles: frozenset[Role],
        error: UserError,
        platform: ChatPlatform,
        command: Command | None = None,
        locale_hint: str | None = None,
    ) -> Reply:
        """A refusal for a command line that never reached a handler (parse errors)."""
        _, person = await self.actor_for(identity, roles)
        translator = self.translator(self.locale_for(person, locale_hint))
        if isinstance(error, ArgumentError) and command is not None:
            return self.error_reply(translator, error, platform, command)
        return self.error_reply(translator, error)

    async def _permission_refused(self, ctx: Context, args: Mapping[str, Any]) -> None:
        for observer in self.on_permission_refused:
            try:
                await observer(ctx, args)
            except Exception:
                log.exception("permission-refusal observer failed for %s", ctx.command.key)

    # -- confirmations -------------------------------------------------------------------

    async def _ask_confirmation(self, ctx: Context, args: dict[str, Any]) -> Reply:
        assert ctx.command.confirm_key is not None
        code = secrets.token_hex(3).upper()
        pending = PendingConfirmation(
            code=code,
            person_id=ctx.actor.person_id,
            command=ctx.command.qualified_name,
            args={k: encode_arg(v) for k, v in args.items() if k != "message"},
            room_platform=ctx.room.platform,
            room_id=ctx.room.room_id,
            expires_at=ctx.now + CONFIRMATION_TTL,
        )
        await self.confirmations.put(pending)
        prompt = ctx.t(ctx.command.confirm_key, **_display_args(args))
        hint = ctx.t(
            "confirm.hint", code=code, minutes=int(CONFIRMATION_TTL.total_seconds() // 60)
        )
        return Reply(
            f"{prompt}\n{hint}",
            kind=ReplyKind.CONFIRM,
            private=True,
            buttons=(
                Button(ctx.t("confirm.yes"), f"confirm:{code}", ButtonStyle.DANGER, "✅"),
                Button(ctx.t("confirm.no"), f"cancel:{code}", ButtonStyle.SECONDARY, "❌"),
            ),
        )

    async def complete_confirmation(self, ctx: Context, code: str, *, accept: bool) -> Reply:
        """Run (accept) or drop (refuse) the invoker's pending command with `code`."""
        pending = await self.confirmations.take(code.strip().upper(), ctx.actor.person_id)
        if pending is None or pending.expires_at < ctx.now:
            raise UserError("error.no_pending_confirmation", code=code)
        if not accept:
            return Reply(ctx.t("confirm.cancelled"))
        command = self.registry.get(pending.command)
        if command is None:
            raise UserError("error.no_pending_confirmation", code=code)
        inner = replace(ctx, command=command)
        args = {k: decode_arg(v) for k, v in pending.args.items()}
        if not ctx.actor.can(command.capability):
            await self._permission_refused(inner, args)
            raise UserError("error.no_permission", capability=command.capability.value)
        if command.check is not None:
            await command.check(inner, **args)
        reply = await command.handler(inner, **args)
        return reply or Reply(ctx.t("common.done"), private=command.private)


def _display_args(args: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, PersonRef):
            shown[key] = value.label
        elif isinstance(value, RoomRef):
            shown[key] = value.name or value.room_id
        else:
            shown[key] = value
    return shown
