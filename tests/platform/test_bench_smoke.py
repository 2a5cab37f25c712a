"""Smoke test of bench/matrix_roundtrip.py: a few rounds produce figures for both bots.

No timing assertions: speed targets belong to the benchmark itself, not to tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.matrix_roundtrip import BASELINE, HAVEN, amain
from bot.embedded.synapse import EmbeddedSynapse

pytestmark = pytest.mark.matrix


async def test_matrix_roundtrip_reports_both_bots(
    synapse: EmbeddedSynapse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--rounds", "5", "--warmup", "1", "--pause-ms", "0", "--json"]
    code = await amain([*argv, "--work-dir", str(tmp_path)], server=synapse)
    assert code == 0
    result = json.loads(capsys.readouterr().out)

    assert result["options"]["rounds"] == 5
    for name in (HAVEN, BASELINE):
        stats = result["bots"][name]
        assert stats["samples"] + stats["timeouts"] == 5
        assert stats["samples"] > 0
        assert 0 < stats["min_ms"] <= stats["p50_ms"] <= stats["p95_ms"] <= stats["max_ms"]
    assert result["ratio"]["p50"] > 0 and result["ratio"]["p95"] > 0
    assert result["target"]["max_ratio"] == pytest.approx(1.10)
    assert isinstance(result["target"]["met"], bool)
    # Both bots ran as their own processes and logged that they were serving.
    assert "matrix adapter started" in (tmp_path / "haven.log").read_text()
    assert "baseline bot ready" in (tmp_path / "baseline.log").read_text()
