"""Evaluation of a detector against a labelled set of chat messages.

The set (`tests/data/detector_eval.yaml`) has two splits: `dev`, used while tuning the
lexicons, and `heldout`, never used for tuning. `evaluate` counts, per category, true
positives, false positives and false negatives (one message can carry several categories),
and derives precision and recall; "overall" is the micro-average over all categories, and
"any concern" judges only flagged-or-not per message. It also counts banter messages
(gaming trash talk) that were flagged, the false positives that annoy players most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.detection import Category, Detector
from bot.settings import ConfigError, ConfigProblem, validate_yaml

DEFAULT_EVAL_SET = Path("tests/data/detector_eval.yaml")
SPLITS = ("dev", "heldout")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvalMessage(_Strict):
    """One labelled message."""

    lang: Literal["en", "nl", "fr"]
    kind: Literal["benign", "banter", "concern"]
    expect: list[Category] = Field(default_factory=list)
    text: str = Field(min_length=1)


class EvalSet(_Strict):
    """The whole file: the tuning split and the held-out split."""

    dev: list[EvalMessage] = Field(default_factory=list)
    heldout: list[EvalMessage] = Field(default_factory=list)


def load_eval_set(path: Path | str) -> EvalSet:
    """Read and validate an evaluation set (ConfigError names each problem's line)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return validate_yaml(text, str(file), EvalSet)


@dataclass(slots=True)
class Counts:
    """True positives, false positives and false negatives of one category (or all)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp); None when nothing was flagged."""
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn); None when nothing was expected."""
        expected = self.tp + self.fn
        return self.tp / expected if expected else None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the detector said about one message, beside what was expected."""

    message: EvalMessage
    found: frozenset[Category]

    @property
    def correct(self) -> bool:
        """True when the flagged categories are exactly the expected ones."""
        return self.found == frozenset(self.message.expect)


@dataclass(slots=True)
class Report:
    """Figures of one split."""

    name: str
    messages: int = 0
    per_category: dict[Category, Counts] = field(
        default_factory=lambda: {category: Counts() for category in Category}
    )
    any_concern: Counts = field(default_factory=Counts)
    per_language: dict[str, Counts] = field(default_factory=dict)  # any concern, per language
    banter: int = 0
    banter_flagged: int = 0
    benign_flagged: int = 0
    wrong: list[Outcome] = field(default_factory=list)

    @property
    def overall(self) -> Counts:
        """Micro-average over all categories."""
        total = Counts()
        for counts in self.per_category.values():
            total.tp += counts.tp
            total.fp += counts.fp
            total.fn += counts.fn
        return total


def evaluate(detector: Detector, messages: Iterable[EvalMessage], name: str = "set") -> Report:
    """Scan every message and count the outcomes per category."""
    report = Report(name)
    for message in messages:
        found = frozenset(detector.scan(message.text).categories)
        expected = frozenset(message.expect)
        report.messages += 1
        for category in Category:
            counts = report.per_category[category]
            if category in found and category in expected:
                counts.tp += 1
            elif category in found:
                counts.fp += 1
            elif category in expected:
                counts.fn += 1
        for counts in (report.any_concern, report.per_language.setdefault(message.lang, Counts())):
            if found and expected:
                counts.tp += 1
            elif found:
                counts.fp += 1
            elif expected:
                counts.fn += 1
        if message.kind == "banter":
            report.banter += 1
            report.banter_flagged += bool(found)
        elif message.kind == "benign":
            report.benign_flagged += bool(found)
        if found != expected:
            report.wrong.append(Outcome(message, found))
    return report


def evaluate_set(
    detector: Detector, eval_set: EvalSet, splits: Sequence[str] = SPLITS
) -> list[Report]:
    """One report per requested split, plus one over both when both are asked for."""
    reports = [evaluate(detector, getattr(eval_set, split), split) for split in splits]
    if len(splits) > 1:
        everything = [m for split in splits for m in getattr(eval_set, split)]
        reports.append(evaluate(detector, everything, "all"))
    return reports


def _pct(value: float | None) -> str:
    return "   —  " if value is None else f"{value * 100:5.1f}%"


def format_report(report: Report, *, show_wrong: bool = False) -> str:
    """A table of precision and recall per category, overall and per message."""
    lines = [
        f"{report.name}: {report.messages} messages",
        f"  {'category':<16} {'precision':>9} {'recall':>8}   tp  fp  fn",
    ]
    rows: list[tuple[str, Counts]] = [(c.value, report.per_category[c]) for c in Category]
    rows += [("overall (micro)", report.overall), ("any concern", report.any_concern)]
    rows += [
        (f"  language {lang}", counts) for lang, counts in sorted(report.per_language.items())
    ]
    for label, counts in rows:
        lines.append(
            f"  {label:<16} {_pct(counts.precision):>9} {_pct(counts.recall):>8}"
            f"  {counts.tp:3d} {counts.fp:3d} {counts.fn:3d}"
        )
    lines.append(
        f"  false positives: {report.banter_flagged} of {report.banter} banter messages, "
        f"{report.benign_flagged} of the other benign messages"
    )
    if show_wrong:
        for outcome in report.wrong:
            expected = ",".join(sorted(outcome.message.expect)) or "-"
            found = ",".join(sorted(outcome.found)) or "-"
            lines.append(
                f"    [{outcome.message.lang}] expected {expected:<28} got {found:<28} "
                f"{outcome.message.text}"
            )
    return "\n".join(lines)
