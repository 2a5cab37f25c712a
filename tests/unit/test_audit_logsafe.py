"""Failures are logged with their tracebacks but without their messages."""

from __future__ import annotations

from bot.core.logsafe import describe_exception


def parse(text: str) -> int:
    return int(text)


SECRET = "-".join(("secret", "words"))  # never spelled out in a source line


def test_messages_are_withheld_and_the_chain_is_kept() -> None:
    try:
        try:
            parse(SECRET)
        except ValueError as inner:
            raise RuntimeError(f"while reading {SECRET!r}") from inner
    except RuntimeError as exc:
        described = describe_exception(exc)
    assert SECRET not in described
    assert "builtins.RuntimeError (message withheld)" in described
    assert "builtins.ValueError (message withheld)" in described
    assert "in parse" in described and "return int(text)" in described  # where, not what
    assert describe_exception(None) == "(no exception)"
