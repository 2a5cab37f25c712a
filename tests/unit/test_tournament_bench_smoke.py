"""The tournament benchmark still runs (figures only; targets are judged in bench/)."""

from __future__ import annotations

from bench.tournament_bench import bench_generation, bench_render


def test_benchmarks_produce_figures() -> None:
    generation = bench_generation(1, quiet=True)
    assert generation["single_ms"] > 0 and generation["double_ms"] > 0
    render = bench_render(1, quiet=True)
    assert render["first_ms"] > 0 and render["png_bytes"] > 10_000
