"""Detection of concerns in chat messages: lexicons, normalisation, the automaton, evaluation.

`load_detector()` reads `config/lexicons/` and returns a `LexiconDetector`, which
implements `bot.core.detection.Detector`: `scan(text) -> Detection`. It never acts; the
safety feature decides what a flagged `Detection` becomes (a concern for a person).
"""

from __future__ import annotations

from bot.features.safety.detection.detector import (
    DEFAULT_LEXICONS,
    LexiconDetector,
    load_detector,
)
from bot.features.safety.detection.normalisation import normalise, normalise_variants

__all__ = [
    "DEFAULT_LEXICONS",
    "LexiconDetector",
    "load_detector",
    "normalise",
    "normalise_variants",
]
