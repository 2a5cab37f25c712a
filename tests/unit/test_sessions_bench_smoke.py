"""The sessions benchmark still runs at a tiny size (figures only; targets are judged in
bench/)."""

from __future__ import annotations

from bench.sessions_bench import bench_fanout, bench_restore


def test_benchmarks_produce_figures() -> None:
    restore = bench_restore(jobs=20, runs=1, quiet=True)
    assert restore["scheduler_start_ms"] > 0 and restore["haven_start_ms"] > 0
    assert restore["baseline_aps_per_job_ms"] > 0 and restore["haven_sessions"] == 10
    fanout = bench_fanout(members=5, send_ms=1, quiet=True)
    assert fanout["haven_ms"] > 0 and fanout["baseline_ms"] > 0 and fanout["members"] == 5
