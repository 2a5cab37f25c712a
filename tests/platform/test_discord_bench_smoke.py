"""Smoke test of bench/discord_roundtrip.py: a few rounds produce figures for both bots.

No timing assertions: speed targets belong to the benchmark itself, not to tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.discord_roundtrip import (
    BASELINE,
    BASELINE_READY,
    HAVEN,
    HAVEN_NO_MESSAGE_PATH,
    HAVEN_READY,
    MESSAGE,
    SLASH,
    amain,
    haven_has_message_path,
)

pytestmark = pytest.mark.discord


def _check_stats(stats: dict[str, float], rounds: int) -> None:
    assert stats["samples"] + stats["timeouts"] == rounds
    assert stats["samples"] > 0
    assert 0 < stats["min_ms"] <= stats["p50_ms"] <= stats["p95_ms"] <= stats["max_ms"]


async def test_discord_roundtrip_reports_both_bots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--rounds", "5", "--warmup", "1", "--block", "2", "--pause-ms", "0", "--json"]
    code = await amain([*argv, "--work-dir", str(tmp_path)])
    assert code == 0
    result = json.loads(capsys.readouterr().out)

    assert result["options"]["rounds"] == 5
    slash = result["measures"][SLASH]
    for name in (HAVEN, BASELINE):
        _check_stats(slash["bots"][name], 5)
    assert slash["ratio"]["p50"] > 0 and slash["ratio"]["p95"] > 0
    assert isinstance(slash["target_met"], bool)

    message = result["measures"][MESSAGE]
    _check_stats(message["bots"][BASELINE], 5)
    if haven_has_message_path():
        _check_stats(message["bots"][HAVEN], 5)
    else:
        assert message["bots"][HAVEN] is None
        assert message["haven_note"] == HAVEN_NO_MESSAGE_PATH
        assert message["ratio"] is None and message["target_met"] is None

    assert result["target"]["max_ratio"] == pytest.approx(1.10)
    assert isinstance(result["target"]["met"], bool)
    # Both bots ran as their own processes and logged that they were serving.
    assert HAVEN_READY in (tmp_path / "haven.log").read_text()
    assert BASELINE_READY in (tmp_path / "baseline.log").read_text()
