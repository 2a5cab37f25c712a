"""Shared pytest configuration: platform fixtures live in tests/support as plugins."""

from __future__ import annotations
