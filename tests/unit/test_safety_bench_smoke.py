"""The safety benchmark still runs (figures only; targets are judged in bench/)."""

from __future__ import annotations

from bench.safety_bench import build_parser, main, naive_regex, run


def test_sections_produce_figures() -> None:
    options = build_parser().parse_args(
        ["--size", "400", "--samples", "200", "--repeats", "1", "--no-freeze", "--quiet"]
    )
    results = run(options)
    throughput = results["detector_throughput"]
    assert throughput["messages"] == 400 and throughput["terms"] > 1000
    assert all(rate > 0 for rate in throughput["rates_wall"].values())
    assert all(rate > 0 for rate in throughput["rates_cpu"].values())
    latency = results["screen_latency"]
    assert latency["samples"] == 200
    assert 0 < latency["wall_p50_ms"] <= latency["wall_p99_ms"] <= latency["wall_max_ms"]
    assert 0 < latency["cpu_p50_ms"] <= latency["cpu_p99_ms"] <= latency["cpu_max_ms"]


def test_baseline_matches_words_only() -> None:
    scan = naive_regex(["kill you", "die"])
    assert scan("I'll KILL YOU, diet coke") == ["kill you"]


def test_main_runs_one_section(capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["--samples", "50", "--only", "screen_latency", "--no-pin", "--no-freeze", "--json"]
    assert main(args) == 0
    assert '"screen_latency"' in capsys.readouterr().out
