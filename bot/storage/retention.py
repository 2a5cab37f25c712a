"""Retention rules that features register: which table holds which data class, and its age."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Retained:
    """A table purged by age: its data class, time column and which rows may go.

    `only` is a fixed SQL condition written by the feature (never from input): rows
    still in use, or held for an open case, must not match it.
    """

    table: str
    data_class: str
    time_column: str
    only: str = "1 = 1"


PurgeHook = Callable[[datetime, Callable[[str], timedelta]], Awaitable[dict[str, int]]]
"""A feature's own purge step: gets `now` and `keep_for(data_class)`, returns counts."""
