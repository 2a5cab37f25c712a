"""The text-command tokenizer and argument binding (used by the Matrix adapter)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.binding import (
    ArgumentError,
    TextCommandError,
    Token,
    bind_arguments,
    find_command,
    parse_command_line,
    tokenize,
)
from bot.core.commands import Command, CommandRegistry, Param, ParamType


async def _noop(ctx, **kwargs):  # pragma: no cover - never called here
    return None


CREATE = Command(
    "create",
    _noop,
    group="tournament",
    params=(
        Param("name"),
        Param("size", ParamType.INTEGER),
        Param("public", ParamType.BOOLEAN, required=False, option=True),
        Param("start", ParamType.DATETIME, required=False, option=True),
    ),
)
SAY = Command("say", _noop, params=(Param("room"), Param("text", ParamType.TEXT)))


def registry() -> CommandRegistry:
    reg = CommandRegistry()
    reg.extend([CREATE, SAY, Command("help", _noop)])
    return reg


def test_quotes_group_words() -> None:
    assert [t.text for t in tokenize('create "Mario Kart" 8')] == ["create", "Mario Kart", "8"]
    assert tokenize('"a b"')[0].quoted


def test_apostrophes_inside_words_are_literal() -> None:
    assert [t.text for t in tokenize("say lobby don't panic")] == [
        "say",
        "lobby",
        "don't",
        "panic",
    ]


def test_smart_quotes_from_phones() -> None:
    assert [t.text for t in tokenize("“Mario Kart” 8")] == ["Mario Kart", "8"]


def test_unclosed_quote_is_refused() -> None:
    with pytest.raises(ArgumentError) as err:
        tokenize('create "Mario 8')
    assert err.value.key == "error.unbalanced_quotes"


def test_find_group_subcommand_and_bare_group() -> None:
    reg = registry()
    cmd, group, rest = find_command(reg, tokenize("tournament create x 8"))
    assert cmd is CREATE and group == "tournament" and [t.text for t in rest] == ["x", "8"]
    cmd, group, _ = find_command(reg, tokenize("tournament"))
    assert cmd is None and group == "tournament"
    cmd, group, _ = find_command(reg, tokenize("nonsense"))
    assert cmd is None and group is None


def test_options_flags_and_equals() -> None:
    bound = bind_arguments(CREATE, tokenize('"Mario Kart" 8 --public --start=18:00'))
    assert bound == {"name": "Mario Kart", "size": "8", "public": True, "start": "18:00"}
    bound = bind_arguments(CREATE, tokenize('x 8 --start "2026-12-01 18:00"'))
    assert bound["start"] == "2026-12-01 18:00"


def test_option_errors() -> None:
    with pytest.raises(ArgumentError) as err:
        bind_arguments(CREATE, tokenize("x 8 --colour red"))
    assert err.value.key == "error.unknown_option"
    with pytest.raises(ArgumentError) as err:
        bind_arguments(CREATE, tokenize("x 8 --start"))
    assert err.value.key == "error.option_needs_value"
    with pytest.raises(ArgumentError) as err:
        bind_arguments(CREATE, tokenize("x 8 --public --public"))
    assert err.value.key == "error.duplicate_option"


def test_too_many_words() -> None:
    with pytest.raises(ArgumentError) as err:
        bind_arguments(CREATE, tokenize("x 8 9"))
    assert err.value.key == "error.too_many_arguments"
    assert err.value.args_["extra"] == "9"


def test_trailing_text_takes_the_rest() -> None:
    assert bind_arguments(SAY, tokenize("lobby hello  there")) == {
        "room": "lobby",
        "text": "hello there",
    }


word = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters='"\\'),
    min_size=1,
    max_size=12,
)


@given(st.lists(word, min_size=1, max_size=6))
def test_quoting_any_words_round_trips(words: list[str]) -> None:
    line = " ".join('"' + w + '"' for w in words)
    assert [t.text for t in tokenize(line)] == words


@given(st.text(max_size=60))
def test_tokenize_never_crashes_unexpectedly(line: str) -> None:
    try:
        tokens = tokenize(line)
    except ArgumentError as exc:
        assert exc.key == "error.unbalanced_quotes"
        return
    for token in tokens:
        assert isinstance(token, Token)
        assert token.quoted or (token.text and not any(c.isspace() for c in token.text))


@given(st.lists(st.text(alphabet="abcdefgh-=", min_size=1, max_size=8), max_size=6))
def test_binding_either_binds_or_refuses_cleanly(words: list[str]) -> None:
    try:
        bound = bind_arguments(CREATE, [Token(w) for w in words])
    except ArgumentError:
        return
    assert set(bound) <= {"name", "size", "public", "start"}


def test_a_flag_is_what_people_type_while_the_handler_keeps_its_name() -> None:
    async def handler(ctx, topic: str, duration=None) -> None: ...

    registry = CommandRegistry()
    registry.add(
        Command(
            "open",
            handler,
            group="room",
            params=(
                Param("topic", ParamType.STRING),
                Param("duration", ParamType.DURATION, required=False, option=True, flag="for"),
            ),
        )
    )
    command, args = parse_command_line(registry, "room open games --for 2h", "!")
    assert command.name == "open" and args == {"topic": "games", "duration": "2h"}
    with pytest.raises(TextCommandError):
        parse_command_line(registry, "room open games --duration 2h", "!")
