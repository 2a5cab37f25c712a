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
