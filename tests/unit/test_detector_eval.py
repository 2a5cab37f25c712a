"""`haven eval-detector`: the figures are counted correctly, the command runs, and the
shipped evaluation set is what it claims to be."""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.detection import Category, Detection
from bot.features.safety.detection.evaluation import (
    evaluate,
    evaluate_set,
    format_report,
    load_eval_set,
)
from bot.settings import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "tests" / "data" / "detector_eval.yaml"

TINY = """\
dev:
  - {lang: en, kind: concern, expect: [self_harm], text: "alpha"}
  - {lang: en, kind: concern, expect: [self_harm, distress], text: "beta"}
  - {lang: nl, kind: banter, expect: [], text: "gamma"}
  - {lang: fr, kind: benign, expect: [], text: "delta"}
heldout:
  - {lang: fr, kind: concern, expect: [grooming], text: "epsilon"}
  - {lang: en, kind: benign, expect: [], text: "zeta"}
"""


class ScriptedDetector:
    """Answers from a table: which categories each text gets."""

    def __init__(self, answers: dict[str, set[Category]]) -> None:
        self.answers = answers

    def scan(self, text: str) -> Detection:
        found = self.answers.get(text, set())
        return Detection(1.0 if found else 0.0, {c: 1.0 for c in found})


ANSWERS = {
    "alpha": {Category.SELF_HARM},  # right
    "beta": {Category.SELF_HARM, Category.VIOLENCE_THREAT},  # half right, one wrong
    "gamma": {Category.VIOLENCE_THREAT},  # banter flagged
    "epsilon": set(),  # missed
    "zeta": {Category.DISTRESS},  # benign flagged
}


def test_figures_are_counted_from_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    dev, heldout, both = evaluate_set(ScriptedDetector(ANSWERS), load_eval_set(path))
    assert (dev.name, dev.messages, heldout.messages, both.messages) == ("dev", 4, 2, 6)

    self_harm = dev.per_category[Category.SELF_HARM]
    assert (self_harm.tp, self_harm.fp, self_harm.fn) == (2, 0, 0)
    assert (self_harm.precision, self_harm.recall) == (1.0, 1.0)
    violence = dev.per_category[Category.VIOLENCE_THREAT]
    assert (violence.tp, violence.fp, violence.fn) == (0, 2, 0)
    assert violence.precision == 0.0
    assert violence.recall is None  # nothing expected: no recall to speak of
    distress = dev.per_category[Category.DISTRESS]
    assert (distress.tp, distress.fp, distress.fn) == (0, 0, 1)
    assert distress.recall == 0.0 and distress.precision is None

    overall = dev.overall
    assert (overall.tp, overall.fp, overall.fn) == (2, 2, 1)
    assert overall.precision == pytest.approx(0.5)
    assert overall.recall == pytest.approx(2 / 3)
    # Per message: alpha and beta were concerns and flagged; gamma flagged wrongly.
    assert (dev.any_concern.tp, dev.any_concern.fp, dev.any_concern.fn) == (2, 1, 0)
    assert (dev.banter, dev.banter_flagged, dev.benign_flagged) == (1, 1, 0)
    english, dutch = dev.per_language["en"], dev.per_language["nl"]
    assert (english.tp, english.fp, english.fn) == (2, 0, 0)
    assert (dutch.tp, dutch.fp, dutch.fn) == (0, 1, 0)
    assert [o.message.text for o in dev.wrong] == ["beta", "gamma"]

    grooming = heldout.per_category[Category.GROOMING]
    assert (grooming.tp, grooming.fp, grooming.fn) == (0, 0, 1)
    assert heldout.benign_flagged == 1
    assert both.overall.fn == dev.overall.fn + heldout.overall.fn

    table = format_report(dev, show_wrong=True)
    assert "self_harm" in table and "100.0%" in table and " 50.0%" in table
    assert "1 of 1 banter messages" in table
    assert "expected distress,self_harm" in table


def test_a_perfect_detector_scores_full_marks(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    eval_set = load_eval_set(path)
    perfect = {m.text: set(m.expect) for m in [*eval_set.dev, *eval_set.heldout]}
    report = evaluate(ScriptedDetector(perfect), eval_set.dev)
    assert report.overall.precision == report.overall.recall == 1.0
    assert not report.wrong


def test_the_command_prints_both_splits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    lexicons = ROOT / "config" / "lexicons"
    assert main(["eval-detector", "--set", str(path), "--lexicons", str(lexicons)]) == 0
    out = capsys.readouterr().out
    assert "dev: 4 messages" in out and "heldout: 2 messages" in out and "all: 6" in out
    for category in Category:
        assert category.value in out
    assert "banter messages" in out


def test_the_command_reports_a_broken_set_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(TINY.replace("expect: [grooming]", "expect: [grumbling]"), encoding="utf-8")
    assert main(["eval-detector", "--set", str(path)]) == 1
    line = next(i for i, t in enumerate(TINY.splitlines(), 1) if "grooming" in t)
    assert f"broken.yaml:{line}:" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        load_eval_set(path)


def test_the_shipped_set() -> None:
    eval_set = load_eval_set(SHIPPED)
    everything = [*eval_set.dev, *eval_set.heldout]
    assert len(everything) >= 300
    assert 0.28 <= len(eval_set.heldout) / len(everything) <= 0.4
    assert {m.lang for m in everything} == {"en", "nl", "fr"}
    for split in (eval_set.dev, eval_set.heldout):
        kinds = Counter(m.kind for m in split)
        assert kinds["benign"] and kinds["banter"] and kinds["concern"]
        assert {c for m in split for c in m.expect} == set(Category)
    assert all(bool(m.expect) == (m.kind == "concern") for m in everything)
    texts = [m.text for m in everything]
    assert len(texts) == len(set(texts)), "a message appears twice"


def test_no_eval_message_was_copied_into_a_lexicon() -> None:
    eval_set = load_eval_set(SHIPPED)
    lexicon_text = "\n".join(
        p.read_text(encoding="utf-8").lower() for p in (ROOT / "config" / "lexicons").glob("*")
    )
    copied = [
        m.text
        for m in [*eval_set.dev, *eval_set.heldout]
        if len(m.text.split()) >= 4 and m.text.lower() in lexicon_text
    ]
    assert not copied, textwrap.shorten(", ".join(copied), 300)
