"""Timings of the safety feature against its targets, one function per section.

Sections (`SECTIONS`, run in order by `main`):

* `detector_throughput`: messages per second through `LexiconDetector.scan` on one core,
  over a mixed corpus (the labelled evaluation set, repeated and shuffled to `--size`
  messages, ~55 % of them concerns or banter with matches, so a harder mix than real chat),
  beside a same-run baseline: one naive regular expression, an alternation of the same
  lexicon phrases with word boundaries, run on the lower-cased text. The baseline does less
  (no normalisation of spelling tricks, no scoring), so the comparison favours it. A second
  baseline row uses only 1,500 phrases, the size the brief's figure (~24,000/s) was taken
  at. A second detector row runs a mix closer to a real room (2 % concerns, the rest
  benign chat and banter from the set), for information. Rates are given per second of
  wall time and per second of the process's CPU time; on a shared machine the wall rate
  also counts time other processes held the core, so the target is judged on CPU time.
  Each rate is the best of `--repeats` passes. After loading, the benchmark calls
  `gc.freeze()` as `haven run` does once started (`--no-freeze` to compare).
  **Target: ≥ 50,000 messages/s.**
* `screen_latency`: the latency one screened message gains from detection: `scan` timed
  alone per message (`perf_counter_ns`, and the thread's CPU time beside it), p50 / p99 /
  max over `--samples` messages drawn from the same corpus. **Target: p99 ≤ 1 ms** (wall).

* `ping_latency`: a flagged message to the on-duty moderator's ping on a real Synapse,
  beside a bare matrix-nio `!ping` round trip on the same server (`bench.safety_ping_bench`,
  `--ping-rounds`); figures and ratio, no target. It starts Synapse, so it runs only when
  named: `--only ping_latency`.

Usage (from the repository root)::

    python -m bench.safety_bench [--size 200000] [--samples 50000] [--repeats 3]
                                 [--only SECTION] [--no-pin] [--json] [--check]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.features.safety.detection import LexiconDetector, load_detector
from bot.features.safety.detection.evaluation import load_eval_set
from bot.features.safety.detection.lexicon import expand, load_lexicons

REPO_ROOT = Path(__file__).resolve().parent.parent
LEXICONS = REPO_ROOT / "config" / "lexicons"
EVAL_SET = REPO_ROOT / "tests" / "data" / "detector_eval.yaml"

THROUGHPUT_TARGET = 50_000.0  # messages per second, one core
LATENCY_P99_TARGET_MS = 1.0  # added latency per screened message
BRIEF_BASELINE_TERMS = 1_500
CHAT_CONCERN_SHARE = 0.02  # a second, more realistic mix: mostly ordinary chat and banter
BRIEF_REFERENCE_RATE = 24_000.0  # naive regex over 1,500 terms, measured by the brief's author


def corpus(size: int, seed: int = 7, concern_share: float | None = None) -> list[str]:
    """The evaluation set's messages (both splits), repeated and shuffled to `size`.

    With `concern_share`, concerns make up only that share and the rest is drawn from the
    benign and banter messages: closer to a real room, where most messages are ordinary.
    """
    eval_set = load_eval_set(EVAL_SET)
    messages = [*eval_set.dev, *eval_set.heldout]
    rng = random.Random(seed)
    if concern_share is None:
        texts = [message.text for message in messages]
        repeated = (texts * (size // len(texts) + 1))[:size]
        rng.shuffle(repeated)
        return repeated
    concerns = [m.text for m in messages if m.kind == "concern"]
    ordinary = [m.text for m in messages if m.kind != "concern"]
    return [
        rng.choice(concerns if rng.random() < concern_share else ordinary) for _ in range(size)
    ]


def lexicon_phrases(folder: Path = LEXICONS) -> list[str]:
    """Every term phrase of every lexicon after brace expansion, lower-cased, unique."""
    lexicons = load_lexicons(folder)
    phrases = {
        phrase.strip("* ").lower()
        for lexicon in lexicons.files.values()
        for groups in lexicon.terms.values()
        for group in groups
        for written in group.terms
        for phrase in expand(written)
    }
    return sorted(phrases)


def naive_regex(phrases: Sequence[str]) -> Callable[[str], list[str]]:
    """The baseline: one alternation of all phrases between word boundaries."""
    ordered = sorted(phrases, key=len, reverse=True)  # longest first, as one would write it
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\b")

    def scan(text: str) -> list[str]:
        return pattern.findall(text.lower())

    return scan


def _rate(
    scan: Callable[[str], object], messages: Sequence[str], repeats: int = 1
) -> tuple[float, float]:
    """Messages per second of wall time and per second of this process's CPU time; the
    best of `repeats` passes (the same for the detector and the baselines)."""
    best_wall = best_cpu = 0.0
    for _ in range(max(1, repeats)):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        for text in messages:
            scan(text)
        cpu = time.process_time() - cpu
        wall = time.perf_counter() - wall
        best_wall = max(best_wall, len(messages) / wall)
        best_cpu = max(best_cpu, len(messages) / max(cpu, 1e-9))
    return best_wall, best_cpu


def _settle(options: argparse.Namespace) -> None:
    """Collect, then freeze what was loaded, as `haven run` does once started (bot/cli.py):
    long-lived objects (the automaton's entries) then stay out of the collector's scans."""
    gc.collect()
    if options.freeze:
        gc.freeze()


def bench_detector_throughput(options: argparse.Namespace) -> dict[str, Any]:
    """Messages per second of the detector and of the naive-regex baselines."""
    detector = load_detector(LEXICONS)
    messages = corpus(options.size)
    phrases = lexicon_phrases()
    baselines = {
        f"naive regex, {len(phrases)} phrases": naive_regex(phrases),
        f"naive regex, {BRIEF_BASELINE_TERMS} phrases": naive_regex(
            random.Random(1).sample(phrases, min(BRIEF_BASELINE_TERMS, len(phrases)))
        ),
    }
    warm = messages[: max(1, len(messages) // 20)]
    for scan in (detector.scan, *baselines.values()):
        for text in warm:  # compiled patterns and the token cache warmed, as in a running bot
            scan(text)
    _settle(options)
    rates = {"detector": _rate(detector.scan, messages, options.repeats)}
    chat_mix = corpus(len(messages), seed=3, concern_share=CHAT_CONCERN_SHARE)
    rates[f"detector, {CHAT_CONCERN_SHARE:.0%} concerns"] = _rate(
        detector.scan, chat_mix, options.repeats
    )
    for label, scan in baselines.items():
        # The baselines are slow: a tenth of the corpus gives a stable rate.
        rates[label] = _rate(scan, messages[: max(1, len(messages) // 10)], options.repeats)
    result: dict[str, Any] = {
        "messages": len(messages),
        "terms": detector.term_count,
        "automaton_keys": detector.key_count,
        "rates_wall": {label: round(wall) for label, (wall, _) in rates.items()},
        "rates_cpu": {label: round(cpu) for label, (_, cpu) in rates.items()},
        "target": THROUGHPUT_TARGET,
        # Judged on CPU time: on a shared machine, wall time also counts the time other
        # processes held the core. Both are printed.
        "ok": rates["detector"][1] >= THROUGHPUT_TARGET,
    }
    if not options.quiet:
        print(
            f"detector throughput, one core, {len(messages)} messages "
            f"({detector.term_count} terms, {detector.key_count} automaton keys):"
        )
        print(f"  {'':<32} {'per wall s':>12} {'per CPU s':>12}")
        for label, (wall, cpu) in rates.items():
            ratio = rates["detector"][1] / cpu
            extra = "" if label.startswith("detector") else f"   detector is {ratio:.1f}x this"
            print(f"  {label:<32} {wall:>12,.0f} {cpu:>12,.0f}  messages{extra}")
        verdict = "ok" if result["ok"] else "MISSED"
        print(f"  target ≥ {THROUGHPUT_TARGET:,.0f} messages per CPU second: {verdict}")
        reference = rates[f"naive regex, {BRIEF_BASELINE_TERMS} phrases"][1]
        print(
            f"  (context: the brief measured ~{BRIEF_REFERENCE_RATE:,.0f}/s for a naive regex of "
            f"{BRIEF_BASELINE_TERMS} terms on an idle machine; this run's {reference:,.0f}/s "
            f"puts the machine at {reference / BRIEF_REFERENCE_RATE:.2f} of that speed)"
        )
    return result


def bench_screen_latency(options: argparse.Namespace) -> dict[str, Any]:
    """Latency `scan` adds to one screened message: p50, p99 and max in ms."""
    detector: LexiconDetector = load_detector(LEXICONS)
    messages = corpus(options.samples, seed=11)
    for text in messages[: max(1, len(messages) // 20)]:
        detector.scan(text)
    _settle(options)
    wall: list[int] = []
    cpu: list[int] = []
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for text in messages:
        start, start_cpu = wall_clock(), cpu_clock()
        detector.scan(text)
        cpu.append(cpu_clock() - start_cpu)
        wall.append(wall_clock() - start)
    result: dict[str, Any] = {"samples": len(wall), "target_p99_ms": LATENCY_P99_TARGET_MS}
    for label, timings in (("wall", wall), ("cpu", cpu)):
        timings.sort()
        result[f"{label}_p50_ms"] = round(statistics.median(timings) / 1e6, 4)
        result[f"{label}_p99_ms"] = round(_p99(timings) / 1e6, 4)
        result[f"{label}_max_ms"] = round(timings[-1] / 1e6, 4)
    # Judged on wall time: that is what a message waits.
    result["ok"] = result["wall_p99_ms"] <= LATENCY_P99_TARGET_MS
    if not options.quiet:
        verdict = "ok" if result["ok"] else "MISSED"
        print(f"added latency per screened message, {len(wall)} messages:")
        for label in ("wall", "cpu"):
            print(
                f"  {label:<4} p50 {result[f'{label}_p50_ms']:.4f} ms   "
                f"p99 {result[f'{label}_p99_ms']:.4f} ms   max {result[f'{label}_max_ms']:.4f} ms"
            )
        print(f"  target p99 ≤ {LATENCY_P99_TARGET_MS} ms (wall): {verdict}")
    return result


def _p99(sorted_values: Sequence[int]) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * 0.99))]


def bench_ping_latency(options: argparse.Namespace) -> dict[str, Any]:
    """Flagged message -> moderator ping on a real Synapse, beside a bare round trip
    (`bench.safety_ping_bench`; `--ping-rounds`). Reported, not judged: no target."""
    import asyncio

    from bench.safety_ping_bench import Options, bench_ping, format_text

    if "ping_latency" not in (options.only or ()):
        # It starts Synapse and two bots: only when asked for by name.
        return {"skipped": "run with --only ping_latency", "ok": True}
    if hasattr(os, "sched_setaffinity"):
        # Synapse and two bots run as children: undo the one-core pin of the sections above.
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    result = asyncio.run(bench_ping(Options(rounds=options.ping_rounds, warmup=3)))
    if not options.quiet:
        print(format_text(result))
    return result


# (name, function): main runs them in order. Append new sections here.
SECTIONS: list[tuple[str, Callable[[argparse.Namespace], dict[str, Any]]]] = [
    ("detector_throughput", bench_detector_throughput),
    ("screen_latency", bench_screen_latency),
    ("ping_latency", bench_ping_latency),
]


def build_parser() -> argparse.ArgumentParser:
    """Options shared by every section."""
    parser = argparse.ArgumentParser(prog="python -m bench.safety_bench", description=__doc__)
    parser.add_argument("--size", type=int, default=200_000, help="throughput corpus size")
    parser.add_argument("--samples", type=int, default=50_000, help="latency samples")
    parser.add_argument(
        "--repeats", type=int, default=3, help="throughput passes; the best one counts"
    )
    parser.add_argument("--only", action="append", help="run only this section (repeatable)")
    parser.add_argument(
        "--ping-rounds", type=int, default=30, help="ping_latency: measured messages"
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    parser.add_argument(
        "--no-freeze",
        dest="freeze",
        action="store_false",
        help="do not gc.freeze() after loading (haven run freezes once started)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    return parser


def run(options: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Run the chosen sections; return their results by name."""
    return {
        name: section(options)
        for name, section in SECTIONS
        if not options.only or name in options.only
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print figures beside targets."""
    options = build_parser().parse_args(argv)
    options.quiet = options.quiet or options.json
    if not options.no_pin and hasattr(os, "sched_setaffinity"):
        # "One core": the detector is single-threaded; pinning keeps the scheduler from
        # moving it between cores mid-run.
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = run(options)
    if options.json:
        print(json.dumps(results, indent=2))
    missed = [name for name, result in results.items() if not result.get("ok", True)]
    return 1 if options.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
