"""Shared pytest configuration: platform fixtures live in tests/support as plugins."""

from __future__ import annotations

pytest_plugins = [
    "tests.support.synapse_fixtures",
    "tests.support.discord_fixtures",
    "tests.platform.matrix_fixtures",
    "tests.platform.parity_fixtures",
]
