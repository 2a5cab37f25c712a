"""Logging failures without what people wrote: tracebacks whose messages are withheld.

An exception's message often quotes its input (`invalid literal for int(): '…'`), and
on a message or command path that input is what a person wrote, or a secret they pasted.
Logs get the exception types and where they were raised; never their messages.
"""

from __future__ import annotations

import traceback


def describe_exception(exc: BaseException | None) -> str:
    """The traceback of `exc` and the exceptions it chains to, with every message withheld."""
    if exc is None:
        return "(no exception)"
    blocks: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        kind = type(current)
        frames = "".join(traceback.format_tb(current.__traceback__))
        blocks.append(
            f"Traceback (most recent call last):\n{frames}"
            f"{kind.__module__}.{kind.__qualname__} (message withheld)"
        )
        if current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__
    return "\n\nwhich happened while handling:\n\n".join(blocks)
