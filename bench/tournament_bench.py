"""Timings of the tournament feature against its targets.

Generation (`bench_generation`): generating a 1,024-player single-elimination and a
1,024-player double-elimination bracket with the bracket engine
(`bot.features.tournaments.brackets.generate`; 1,023 and 2,047 matches). Each figure
is the median of several runs, in ms, beside the target of 50 ms. The players are in
a fixed seed order, so the figure does not depend on seeding.

Usage (from the repository root)::

    python -m bench.tournament_bench [--runs 15] [--json] [--check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bot.features.tournaments import brackets
from bot.features.tournaments.model import Bracket, Format

GENERATION_TARGET_MS = 50.0
GENERATION_PLAYERS = 1024


def bench_generation(
    runs: int = 15, *, players: int = GENERATION_PLAYERS, quiet: bool = False
) -> dict[str, Any]:
    """Time generating a `players`-player single- and double-elimination bracket `runs`
    times each; print (unless `quiet`) and return the medians in ms with the target."""
    order = [f"person-{i:05d}" for i in range(players)]
    result: dict[str, Any] = {"players": players, "runs": runs, "target_ms": GENERATION_TARGET_MS}
    for label, fmt in (
        ("single", Format.SINGLE_ELIMINATION),
        ("double", Format.DOUBLE_ELIMINATION),
    ):
        times: list[float] = []
        matches = 0
        for _ in range(runs):
            start = time.perf_counter()
            bracket = brackets.generate(fmt, order)
            times.append((time.perf_counter() - start) * 1000)
            matches = len(bracket.matches)
        result[f"{label}_ms"] = round(statistics.median(times), 2)
        result[f"{label}_max_ms"] = round(max(times), 2)
        result[f"{label}_matches"] = matches
    result["ok"] = max(result["single_ms"], result["double_ms"]) <= GENERATION_TARGET_MS
    if not quiet:
        print(f"bracket generation, {players} players, median of {runs}:")
        for label in ("single", "double"):
            median = result[f"{label}_ms"]
            verdict = "ok" if median <= GENERATION_TARGET_MS else "MISSED"
            print(
                f"  {label}-elimination  {median:7.2f} ms   (target {GENERATION_TARGET_MS:.0f} ms:"
                f" {verdict}; max {result[f'{label}_max_ms']:.2f} ms,"
                f" {result[f'{label}_matches']} matches)"
            )
    return result


RENDER_TARGET_MS = 500.0


def played_double(players: int = 64, results: int = 60) -> Bracket:
    """A double-elimination bracket from the engine with `results` matches played."""
    bracket = brackets.generate(Format.DOUBLE_ELIMINATION, [f"p{i:03d}" for i in range(players)])
    for _ in range(results):
        ready = brackets.ready_matches(bracket)
        if not ready:
            break
        match = ready[0]
        brackets.report(bracket, match.id, match.a, 2, 1)
    return bracket


def bench_render(runs: int = 15, *, quiet: bool = False) -> dict[str, Any]:
    """Median time to draw a 64-player double-elimination PNG, cold and warm."""
    from bot.features.tournaments.render import render_png
    from bot.features.tournaments.render_canvas import clear_caches
    from bot.features.tournaments.service import bracket_font

    bracket = played_double()
    names = {p: f"Player {p[1:]}" for p in bracket.players}
    font = bracket_font()
    first: list[float] = []
    again: list[float] = []
    png = b""
    for _ in range(runs):
        clear_caches()
        start = time.perf_counter()
        png = render_png(bracket, names, title="Friday cup", font_path=font)
        first.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        render_png(bracket, names, title="Friday cup", font_path=font)
        again.append((time.perf_counter() - start) * 1000)
    result: dict[str, Any] = {
        "matches": len(bracket.matches),
        "runs": runs,
        "first_ms": round(statistics.median(first), 1),
        "again_ms": round(statistics.median(again), 1),
        "target_ms": RENDER_TARGET_MS,
        "png_bytes": len(png),
    }
    result["ok"] = result["first_ms"] <= RENDER_TARGET_MS
    if not quiet:
        verdict = "ok" if result["ok"] else "MISSED"
        print(
            f"render 64-player double elimination ({result['matches']} matches, Noto Sans):\n"
            f"  first render  {result['first_ms']:7.1f} ms   (target {RENDER_TARGET_MS:.0f} ms:"
            f" {verdict})\n"
            f"  render again  {result['again_ms']:7.1f} ms\n"
            f"  PNG size      {len(png) / 1024:7.1f} KiB"
        )
    return result


def build_parser() -> argparse.ArgumentParser:
    """The command line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs (default 15)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark and print the figures (exit status 1 on a miss with --check)."""
    args = build_parser().parse_args(argv)
    results = {
        "generation": bench_generation(args.runs, quiet=args.json),
        "render": bench_render(args.runs, quiet=args.json),
    }
    if args.json:
        print(json.dumps(results))
    missed = not all(r["ok"] for r in results.values())
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
