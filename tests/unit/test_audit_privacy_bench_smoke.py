"""The privacy benchmark still runs (figures only; targets are judged in bench/)."""

from __future__ import annotations

from pathlib import Path

from bench.privacy_bench import bench_purge, bench_verify


async def test_benchmarks_produce_figures(tmp_path: Path) -> None:
    purge = await bench_purge(600, 250, quiet=True, work_dir=tmp_path)
    for key in ("processed_event_one", "processed_event_batched", "audit_event_one",
                "audit_event_batched"):  # fmt: skip
        figures = purge[key]
        assert figures["removed"] == 600 and figures["left"] == 6, key
        assert figures["seconds"] >= 0 and figures["max_stall_ms"] >= 0
    assert purge["audit_event_batched"]["verifies"] and purge["audit_event_one"]["verifies"]
    verify = await bench_verify(500, quiet=True, work_dir=tmp_path)
    assert verify["chain_ok"] and verify["removed"] == 500 and verify["seconds"] >= 0
