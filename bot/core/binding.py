"""Binding text-command tokens (`!group sub a "b c" --opt v`) to a declaration.

Any text platform tokenises a line (see `tokenize`), finds the command, then binds the
remaining tokens here; conversion to typed values happens later in the dispatcher.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.commands import Command, CommandRegistry, ParamType
from bot.core.errors import UserError

_QUOTES = {'"': '"', "'": "'", "“": "”", "„": "”", "«": "»", "‘": "’"}


class ArgumentError(UserError):
    """A UserError about the shape of the arguments; replies add the command's usage."""


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a command line; quoted words are never options."""

    text: str
    quoted: bool = False

    @property
    def is_option(self) -> bool:
        """True for an unquoted `--name` or `--name=value`."""
        return not self.quoted and self.text.startswith("--") and len(self.text) > 2


def tokenize(line: str) -> list[Token]:
    """Split a line on whitespace, honouring quotes that open a word.

    Quotes inside a word (as in `don't`) are kept literally; a backslash escapes the
    closing quote inside a quoted word. An unclosed quote raises ArgumentError.
    """
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        opening = line[i]
        if opening in _QUOTES:
            closing = _QUOTES[opening]
            i += 1
            buf: list[str] = []
            while i < n and line[i] != closing:
                if line[i] == "\\" and i + 1 < n and line[i + 1] in (closing, "\\"):
                    i += 1
                buf.append(line[i])
                i += 1
            if i >= n:
                raise ArgumentError("error.unbalanced_quotes")
            i += 1
            tokens.append(Token("".join(buf), quoted=True))
            continue
        start = i
        while i < n and not line[i].isspace():
            i += 1
        tokens.append(Token(line[start:i]))
    return tokens


def find_command(
    registry: CommandRegistry, tokens: Sequence[Token]
) -> tuple[Command | None, str | None, list[Token]]:
    """(command, group, remaining tokens) for the words at the start of `tokens`.

    A bare group name gives (None, group, ...); an unknown word gives (None, None, ...).
    """
    if not tokens:
        return None, None, []
    first = tokens[0].text.lower()
    command = registry.get(first)
    if command is not None:
        return command, None, list(tokens[1:])
    if first in registry.groups():
        if len(tokens) > 1:
            sub = registry.get(f"{first} {tokens[1].text.lower()}")
            if sub is not None:
                return sub, first, list(tokens[2:])
        return None, first, list(tokens[1:])
    return None, None, list(tokens[1:])


def bind_arguments(command: Command, tokens: Sequence[Token]) -> dict[str, Any]:
    """Map tokens onto parameter names. A trailing TEXT parameter takes the rest."""
    bound: dict[str, Any] = {}
    words: list[str] = []
    rest = list(tokens)
    while rest:
        token = rest.pop(0)
        if not token.is_option:
            words.append(token.text)
            continue
        name, has_value, value = token.text[2:].partition("=")
        param = command.param_shown_as(name.replace("-", "_"))
        if param is None or not param.option:
            raise ArgumentError("error.unknown_option", option=f"--{name}")
        if param.name in bound:
            raise ArgumentError("error.duplicate_option", option=f"--{name}")
        if has_value:
            bound[param.name] = value
        elif param.type is ParamType.BOOLEAN:
            bound[param.name] = True
        elif rest and not rest[0].is_option:
            bound[param.name] = rest.pop(0).text
        else:
            raise ArgumentError("error.option_needs_value", option=f"--{name}")
    params = command.positionals
    for index, param in enumerate(params):
        if not words:
            break
        if param.type is ParamType.TEXT and index == len(params) - 1:
            bound[param.name] = " ".join(words)
            words = []
        else:
            bound[param.name] = words.pop(0)
    if words:
        raise ArgumentError("error.too_many_arguments", extra=" ".join(words))
    return bound


def action_arguments(command: Command, argument: str) -> dict[str, Any]:
    """Arguments of a button action (`command:arg1 arg2`), bound to the positionals."""
    if not argument:
        return {}
    return bind_arguments(command, tokenize(argument))


class TextCommandError(Exception):
    """A command line that cannot run: the refusal, and the command when one was found."""

    def __init__(self, error: UserError, command: Command | None) -> None:
        super().__init__(error.key)
        self.error = error
        self.command = command


def parse_command_line(
    registry: CommandRegistry, line: str, prefix: str
) -> tuple[Command, dict[str, Any]]:
    """`group sub args --opt v` -> (command, raw arguments), for any text platform.

    A bare group name runs `help <group>`; an unknown word is refused with a hint.
    Raises TextCommandError.
    """
    command: Command | None = None
    try:
        tokens = tokenize(line)
        command, group, rest = find_command(registry, tokens)
        if command is None:
            help_command = registry.get("help")
            if group is None or help_command is None:
                word = tokens[0].text if tokens else ""
                raise UserError("error.unknown_command", command=word, prefix=prefix)
            command, rest = help_command, [Token(group)]
        return command, bind_arguments(command, rest)
    except UserError as exc:
        raise TextCommandError(exc, command) from None
