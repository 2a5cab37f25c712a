"""The one way for the core to refuse: a `UserError` carrying a message key."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A refusal shown to the person who asked, in their language.

    `key` is a catalogue message id; `args` fill its placeholders. Raising it guarantees
    that nothing was changed: handlers validate before they write.
    """

    def __init__(self, key: str, /, **args: Any) -> None:
        super().__init__(key)
        self.key = key
        self.args_ = args

    def __repr__(self) -> str:
        return f"UserError({self.key!r}, **{self.args_!r})"


class HavenError(Exception):
    """An operator-facing error (configuration, storage); never shown to members verbatim."""
