"""Pieces the round-trip benchmarks share: statistics, bot processes, output."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

REPO_ROOT = Path(__file__).resolve().parent.parent


class BenchError(Exception):
    """The benchmark could not run (a bot did not start, no reply ever came, ...)."""


@dataclass(frozen=True, slots=True)
class BotStats:
    """Round-trip figures of one bot, in milliseconds."""

    samples: int
    timeouts: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float

    @classmethod
    def from_samples(cls, samples_ms: Sequence[float], timeouts: int = 0) -> BotStats:
        """Summarise round trips; ``samples_ms`` must not be empty."""
        if not samples_ms:
            raise BenchError("no round trip succeeded")
        ordered = sorted(samples_ms)
        return cls(
            samples=len(ordered),
            timeouts=timeouts,
            p50_ms=percentile(ordered, 50),
            p95_ms=percentile(ordered, 95),
            mean_ms=sum(ordered) / len(ordered),
            min_ms=ordered[0],
            max_ms=ordered[-1],
        )


def percentile(ordered: Sequence[float], q: float) -> float:
    """The ``q``-th percentile of sorted values, interpolating linearly between ranks."""
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class BotProcess:
    """A bot running as a child process, logging to a file."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path
    log_file: TextIO

    def log_tail(self, lines: int = 30) -> str:
        """The end of the bot's log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def wait_ready(self, marker: str, timeout: float = 90.0) -> None:
        """Wait until ``marker`` appears in the log; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.returncode is not None:
                raise BenchError(
                    f"{self.name} exited with code {self.process.returncode}\n{self.log_tail()}"
                )
            with contextlib.suppress(OSError):
                if marker in self.log_path.read_text(encoding="utf-8", errors="replace"):
                    return
            await asyncio.sleep(0.1)
        raise BenchError(f"{self.name} did not become ready in {timeout:.0f} s\n{self.log_tail()}")

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        try:
            if self.process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.process.terminate()
                try:
                    await asyncio.wait_for(self.process.wait(), timeout)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        self.process.kill()
                    await self.process.wait()
            return self.process.returncode
        finally:
            self.log_file.close()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for a bot process: no inherited HAVEN_ secrets, repo on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HAVEN_", "BENCH_"))}
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


async def spawn(name: str, argv: list[str], env: dict[str, str], log_path: Path) -> BotProcess:
    """Start a bot process whose output goes to `log_path`."""
    log_file = log_path.open("w", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=str(REPO_ROOT),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log_file,
        stderr=asyncio.subprocess.STDOUT,
    )
    return BotProcess(name, process, log_path, log_file)


def say(line: str, quiet: bool) -> None:
    """Progress on stderr unless quiet."""
    if not quiet:
        print(line, file=sys.stderr, flush=True)


def environment(packages: Sequence[str]) -> dict[str, Any]:
    """Versions of `packages` and machine facts that matter when comparing runs."""

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "python": platform.python_version(),
        **{name: version(name) for name in packages},
        "cpus": os.cpu_count(),
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
    }
