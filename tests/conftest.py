"""Shared pytest configuration: platform fixtures live in tests/support as plugins."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.support.synapse_fixtures",
    "tests.support.discord_fixtures",
    "tests.platform.matrix_fixtures",
    "tests.platform.parity_fixtures",
]

_MATRIX_FIXTURES = {"synapse", "matrix_space", "matrix_driver", "matrix_members"}
_DISCORD_FIXTURES = {"discord_emulator", "discord_harness", "discord_driver"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the platform they start, so `-m "not matrix"` skips Synapse."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _MATRIX_FIXTURES:
            item.add_marker(pytest.mark.matrix)
        if names & _DISCORD_FIXTURES:
            item.add_marker(pytest.mark.discord)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A leaked connection thread would keep the run from ever exiting: fail loudly instead."""
    import os
    import sys
    import threading
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        leftovers = [
            t
            for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon and t.is_alive()
        ]
        if not leftovers:
            return
        time.sleep(0.1)
    names = ", ".join(t.name for t in leftovers)
    print(f"\nthreads still running after the tests (a resource was not closed): {names}",
          file=sys.stderr, flush=True)  # fmt: skip
    sys.stdout.flush()
    os._exit(3)
