"""Pure parts of the safety feature: message links, the config file, spoilers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.adapters.matrix.text import render_html
from bot.features.safety.cards import hide
from bot.features.safety.config import load_safety_config
from bot.features.safety.reports import parse_message_link
from bot.settings import ConfigError


def test_message_links_of_both_platforms() -> None:
    matrix = parse_message_link("https://matrix.to/#/!abc:haven.local/$ev-1?via=haven.local")
    assert (matrix.platform, matrix.room_id, matrix.message_id) == (
        "matrix", "!abc:haven.local", "$ev-1",
    )  # fmt: skip
    encoded = parse_message_link("https://matrix.to/#/%21abc%3Ahaven.local/%24ev")
    assert (encoded.room_id, encoded.message_id) == ("!abc:haven.local", "$ev")
    discord = parse_message_link("<https://discord.com/channels/1/22/333>")
    assert (discord.platform, discord.room_id, discord.message_id) == ("discord", "22", "333")
    for bad in ("hello", "https://matrix.to/#/@user:server", "https://discord.com/channels/1/2"):
        assert parse_message_link(bad) is None


def test_the_shipped_config_and_a_mistake_with_its_line(tmp_path) -> None:
    config = load_safety_config()
    assert config.deadline("urgent") == timedelta(minutes=5)
    assert config.deadline("normal") == timedelta(hours=24)
    assert "112" in config.helplines("fr")[0]
    broken = tmp_path / "safety.yaml"
    broken.write_text(
        "deadlines:\n  urgent: soon\n  high: 30m\n  normal: 24h\n"
        "fallback_helplines: {en: [a], nl: [b], fr: [c]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_safety_config(broken)
    assert caught.value.problems[0].line == 2


def test_spoilers_hide_the_excerpt_on_both_platforms() -> None:
    hidden = hide("look || at\nthis")
    assert hidden == "||look | | at this||"
    html = render_html(f"Message: {hidden}", spoilers=True)
    assert html == "Message: <span data-mx-spoiler>look | | at this</span>"
    assert "data-mx-spoiler" not in render_html(f"Message: {hidden}")


def test_the_lexicon_detector_is_found() -> None:
    from bot.features.safety.detection import load_detector

    detector = load_detector(Path(__file__).resolve().parents[2] / "config" / "lexicons")
    assert not detector.scan("what a lovely day").flagged
    assert detector.scan("honestly i want to hurt myself tonight").flagged
