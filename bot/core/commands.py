"""Commands are declared once here and rendered by each platform adapter.

A declaration names the command, its typed parameters, the capability it needs and its
help keys. Adapters turn declarations into slash commands (Discord) or `!group sub args`
parsers (Matrix); the dispatcher checks permissions and converts arguments the same way
for both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.core.capabilities import Capability

if TYPE_CHECKING:
    from bot.core.replies import Reply


class ParamType(StrEnum):
    """The kinds of value a parameter takes; each adapter renders them natively."""

    STRING = "string"
    TEXT = "text"  # free text that may take the rest of the line on Matrix
    INTEGER = "integer"
    CHOICE = "choice"
    MEMBER = "member"
    ROOM = "room"
    DURATION = "duration"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Param:
    """One typed parameter of a command.

    Options (`option=True`) are given as `--name value` on Matrix and as optional slash
    options on Discord; positional parameters come in declaration order. `flag` is the
    name people type and see when it cannot be the handler's argument name (`--for`:
    `for` is a Python keyword); its option-name key is then `optname.<flag>`.
    """

    name: str
    type: ParamType = ParamType.STRING
    required: bool = True
    choices: tuple[str, ...] = ()
    default: Any = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = 200
    option: bool = False
    flag: str | None = None

    @property
    def shown_name(self) -> str:
        """The name people type (`--shown_name`) and see in help and slash options."""
        return self.flag or self.name

    @property
    def description_key(self) -> str:
        """Catalogue key of the parameter's description (shared by all commands)."""
        return f"param.{self.name}"

    def choice_key(self, choice: str) -> str:
        """Catalogue key of one choice's display name."""
        return f"choice.{self.name}.{choice}"


Handler = Callable[..., Awaitable["Reply | None"]]
Check = Callable[..., Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Command:
    """A command declared once for every platform.

    `group` is None for top-level commands. `confirm_key` marks a destructive command: the
    dispatcher first runs `check` (which raises UserError on bad input), then asks for a
    confirmation rendered from `confirm_key`, and only then runs the handler.
    `message_menu_key` additionally exposes the command as a message context menu; its
    handler then receives the target message as parameter `message`.
    `discreet` commands leave no trace in a shared room (reports, anonymous questions):
    a typed command message is removed at once and every answer goes to the person
    privately; Discord slash commands answer ephemerally. Their handlers should still
    return `Reply(private=True)`, so a later confirmation answer stays private too.
    """

    name: str
    handler: Handler
    group: str | None = None
    params: tuple[Param, ...] = ()
    capability: Capability = Capability.USE_BOT
    confirm_key: str | None = None
    check: Check | None = None
    private: bool = False
    message_menu_key: str | None = None
    hidden: bool = False
    discreet: bool = False

    @property
    def qualified_name(self) -> str:
        """`group name` or `name`."""
        return f"{self.group} {self.name}" if self.group else self.name

    @property
    def key(self) -> str:
        """Dotted identifier used in catalogue keys: `group.name` or `name`."""
        return f"{self.group}.{self.name}" if self.group else self.name

    @property
    def description_key(self) -> str:
        """Catalogue key of the one-line description."""
        return f"cmd.{self.key}.description"

    @property
    def help_key(self) -> str:
        """Catalogue key of the longer help text."""
        return f"cmd.{self.key}.help"

    @property
    def positionals(self) -> tuple[Param, ...]:
        """Parameters given by position."""
        return tuple(p for p in self.params if not p.option)

    @property
    def options(self) -> tuple[Param, ...]:
        """Parameters given by name."""
        return tuple(p for p in self.params if p.option)

    def param(self, name: str) -> Param | None:
        """The parameter called `name`, if any."""
        return next((p for p in self.params if p.name == name), None)

    def param_shown_as(self, shown: str) -> Param | None:
        """The parameter people call `shown` (its flag, else its name), if any."""
        return next((p for p in self.params if p.shown_name == shown), None)


@dataclass(slots=True)
class CommandRegistry:
    """All declared commands, keyed by qualified name."""

    _commands: dict[str, Command] = field(default_factory=dict)

    def add(self, command: Command) -> Command:
        """Register a declaration; names must be unique and groups must not clash."""
        if command.qualified_name in self._commands:
            raise ValueError(f"command declared twice: {command.qualified_name}")
        if command.group is None and command.name in self.groups():
            raise ValueError(f"command {command.name} clashes with a group of that name")
        if command.group is not None and command.group in self._commands:
            raise ValueError(f"group {command.group} clashes with a command of that name")
        self._commands[command.qualified_name] = command
        return command

    def extend(self, commands: Iterable[Command]) -> None:
        """Register several declarations."""
        for command in commands:
            self.add(command)

    def get(self, qualified_name: str) -> Command | None:
        """The command called `qualified_name` (`group sub` or `name`)."""
        return self._commands.get(qualified_name)

    def groups(self) -> list[str]:
        """Names of command groups, sorted."""
        return sorted({c.group for c in self._commands.values() if c.group})

    def in_group(self, group: str) -> list[Command]:
        """Commands of one group, sorted by name."""
        return sorted(
            (c for c in self._commands.values() if c.group == group), key=lambda c: c.name
        )

    def top_level(self) -> list[Command]:
        """Commands outside any group, sorted by name."""
        return sorted(
            (c for c in self._commands.values() if c.group is None), key=lambda c: c.name
        )

    def message_menus(self) -> list[Command]:
        """Commands also exposed as message context menus."""
        return [c for c in self if c.message_menu_key]

    def __iter__(self) -> Iterator[Command]:
        return iter(sorted(self._commands.values(), key=lambda c: c.qualified_name))

    def __len__(self) -> int:
        return len(self._commands)

    def fingerprint(self) -> str:
        """A stable digest of every declaration's shape, to skip needless platform syncs."""
        import hashlib

        parts = []
        for c in self:
            params = ";".join(
                f"{p.name}:{p.type}:{p.required}:{','.join(p.choices)}:{p.option}"
                f":{p.min_value}:{p.max_value}"
                for p in c.params
            )
            parts.append(f"{c.qualified_name}|{c.capability}|{c.message_menu_key}|{params}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()
