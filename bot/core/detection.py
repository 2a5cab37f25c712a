"""The detector's contract: it scores a message and names categories. It never acts.

The safety feature turns a flagged `Detection` into a concern for a person to review;
nothing else may follow from it (a test proves no moderation call comes from detection).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Severity(StrEnum):
    """How fast a person must look at a concern (deadlines come from config)."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 (normal) .. 2 (urgent), for comparisons."""
        return ("normal", "high", "urgent").index(self.value)


class Category(StrEnum):
    """What a concern is about."""

    SELF_HARM = "self_harm"
    VIOLENCE_THREAT = "violence_threat"
    EXTREMISM_HATE = "extremism_hate"
    GROOMING = "grooming"
    DISTRESS = "distress"


@dataclass(frozen=True, slots=True)
class Detection:
    """The detector's verdict on one message."""

    score: float  # highest category score, 0..1
    categories: dict[Category, float] = field(default_factory=dict)  # those over threshold
    severity: Severity | None = None  # None when nothing passed its threshold
    matched: tuple[str, ...] = ()  # normalised terms that matched (for reviewers only)

    @property
    def flagged(self) -> bool:
        """True when at least one category passed its threshold."""
        return bool(self.categories)


class Detector(Protocol):
    """Anything that scores text: the lexicon automaton, or an embedding stage behind it."""

    def scan(self, text: str) -> Detection:
        """Score one message (pure: no I/O, no side effects)."""
        ...
