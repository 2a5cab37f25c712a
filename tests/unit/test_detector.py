"""The lexicon detector: normalisation of spelling tricks, banter versus threats,
thresholds and severities from config, validation by file and line, and a pure `scan`."""

from __future__ import annotations

import builtins
import socket
import textwrap
from pathlib import Path

import pytest

from bot.core.detection import Category, Detection, Detector, Severity
from bot.features.safety.detection import LexiconDetector, load_detector, normalise
from bot.features.safety.detection.lexicon import expand, keys_for, load_lexicons
from bot.features.safety.detection.normalisation import normalise_variants
from bot.settings import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LEXICONS = ROOT / "config" / "lexicons"

CATEGORIES = """\
categories:
  self_harm: {threshold: 0.5, default_weight: 0.6, severity: urgent}
  violence_threat: {threshold: 0.5, default_weight: 0.6, severity: high}
  extremism_hate: {threshold: 0.5, default_weight: 0.6, severity: high}
  grooming: {threshold: 0.55, default_weight: 0.5, severity: high}
  distress: {threshold: THRESHOLD, default_weight: 0.6, severity: normal}
"""


@pytest.fixture(scope="module")
def detector() -> LexiconDetector:
    return load_detector(LEXICONS)


def write_lexicons(folder: Path, lexicon: str, distress_threshold: float = 0.5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "categories.yaml").write_text(
        CATEGORIES.replace("THRESHOLD", str(distress_threshold)), encoding="utf-8"
    )
    (folder / "xx.yaml").write_text(textwrap.dedent(lexicon), encoding="utf-8")
    return folder


# --- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "tricked",
    [
        "kill",
        "KILL",
        "kiiiiill",
        "killllll",
        "k1ll",
        "K!LL",
        "k i l l",
        "k.i.l.l",
        "k-i-l-l",
        "k_i_l_l",
        "k\u200bill",  # zero-width space inside the word
        "ｋｉｌｌ",  # full-width letters
        "кill",  # Cyrillic k
    ],
)
def test_spelling_tricks_meet_the_plain_word(tricked: str) -> None:
    assert " kil " in normalise_variants(tricked) or normalise(tricked) == " kil "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuéééé", " tue "),
        ("zelfm00rd", " zelfmord "),
        ("$uic1de", " suicide "),
        ("h@te", " hate "),
        ("j'vais te BUTER!!", " j vais te buter "),
        ("s u i c i d e c'est", " suicide c est "),  # the elided c' does not join the run
        ("@sam gg 1488", " sam g 1488 "),  # a mention is not leet; numbers stay numbers
        ("kill!", " kil "),
    ],
)
def test_normal_forms(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_an_ambiguous_one_gives_both_readings() -> None:
    assert normalise_variants("k1ll") == (" kil ", " kl ")
    assert normalise_variants("b1tch") == (" bitch ", " bltch ")
    assert set(normalise_variants("1diot")) == {" idiot ", " ldiot "}


def test_terms_go_through_the_same_normalisation() -> None:
    assert [key.text for key in keys_for("kill myself")] == [" kil myself "]
    # An apostrophe in a term also matches the form written without it.
    assert {key.text for key in keys_for("don't tell")} == {" don t tel ", " dont tel "}
    assert [key.text for key in keys_for("zelfmoord*")] == [" zelfmord"]
    assert [key.text for key in keys_for("*jood")] == ["jod "]


def test_brace_expansion() -> None:
    assert expand("{i'll|i will} kill {you|u}") == [
        "i'll kill you", "i'll kill u", "i will kill you", "i will kill u",
    ]  # fmt: skip
    assert expand("so {|very }sad") == ["so sad", "so very sad"]
    with pytest.raises(ValueError, match="unbalanced"):
        expand("{a|b")


# --- the shipped lexicons ------------------------------------------------------------


def test_shipped_lexicons_load(detector: LexiconDetector) -> None:
    assert detector.languages == ("en", "fr", "nl")
    assert detector.term_count > 1000
    assert set(detector.rules) == set(Category)


@pytest.mark.parametrize(
    "banter",
    [
        "I'll kill you this round",
        "we destroyed them",
        "headshot",
        "je vais te tuer ce round",
        "ik maak je af in de finale",
        "gonna murder u in ranked lol",
        "ik vermoord je deze game",
        "je vais te buter en 1v1",
        "i'll end you in chess",
    ],
)
def test_gaming_banter_is_not_a_threat(detector: LexiconDetector, banter: str) -> None:
    assert Category.VIOLENCE_THREAT not in detector.scan(banter).categories


@pytest.mark.parametrize(
    "threat",
    [
        "I'll kill you",
        "i'll k1ll youuu",
        "I'LL K I L L YOU",
        "ik ga je vermoorden",
        "je vais te tuer",
        "i know where you live",
    ],
)
def test_the_same_words_without_a_game_are_a_threat(
    detector: LexiconDetector, threat: str
) -> None:
    found = detector.scan(threat)
    assert Category.VIOLENCE_THREAT in found.categories
    assert found.severity is Severity.HIGH


def test_a_real_place_or_weapon_outweighs_the_game(detector: LexiconDetector) -> None:
    found = detector.scan("i'll kill you after the game, i'm bringing a knife to school")
    assert Category.VIOLENCE_THREAT in found.categories
    assert found.severity is Severity.URGENT


def test_a_time_makes_a_threat_urgent(detector: LexiconDetector) -> None:
    assert detector.scan("i'll kill you tomorrow").severity is Severity.URGENT
    assert detector.scan("je vais te tuer demain").severity is Severity.URGENT


@pytest.mark.parametrize(
    ("text", "category", "severity"),
    [
        ("i want to kill myself", Category.SELF_HARM, Severity.URGENT),
        ("ik wil dood", Category.SELF_HARM, Severity.URGENT),
        ("don't tell your parents, it's our little secret", Category.GROOMING, Severity.HIGH),
        ("heil hitler", Category.EXTREMISM_HATE, Severity.HIGH),
        ("je me sens tellement seule", Category.DISTRESS, Severity.NORMAL),
    ],
)
def test_each_category_implies_its_severity(
    detector: LexiconDetector, text: str, category: Category, severity: Severity
) -> None:
    found = detector.scan(text)
    assert category in found.categories
    assert found.severity is severity
    assert found.matched  # reviewers see which normalised terms matched


def test_who_does_it_matters(detector: LexiconDetector) -> None:
    assert Category.SELF_HARM in detector.scan("je vais me tuer").categories
    assert not detector.scan("ma mère va me tuer si je rentre tard").flagged


def test_benign_phrases_and_word_boundaries(detector: LexiconDetector) -> None:
    assert not detector.scan("you're killing it with those drawings").flagged
    assert not detector.scan("je meurs de rire").flagged
    assert not detector.scan("skill issue, killjoy").flagged  # "kill" only as a word
    assert not detector.scan("").flagged
    assert not detector.scan("🎉🎉🎉").flagged


# --- scoring, thresholds and severities from config -------------------------------------

LEXICON = """\
language: xx
terms:
  distress:
    - weight: 0.4
      terms: [gloomy, dreary]
  violence_threat:
    - weight: 0.6
      terms: ["hit {you|u}"]
    - weight: 0.9
      severity: urgent
      ignore: [gaming]
      terms: [burn the school]
benign:
  violence_threat: ["hit {you|u} up"]
modifiers:
  gaming:
    categories: [violence_threat]
    factor: 0.25
    window: 3
    terms: [round]
"""


def test_thresholds_come_from_config(tmp_path: Path) -> None:
    strict = LexiconDetector(load_lexicons(write_lexicons(tmp_path / "a", LEXICON, 0.5)))
    lenient = LexiconDetector(load_lexicons(write_lexicons(tmp_path / "b", LEXICON, 0.3)))
    one = "so gloomy today"
    assert strict.scan(one).score == pytest.approx(0.4)
    assert not strict.scan(one).flagged
    assert lenient.scan(one).categories == {Category.DISTRESS: pytest.approx(0.4)}
    # Two weak signs together: noisy-OR 1 - 0.6 * 0.6 = 0.64 passes the 0.5 threshold.
    both = strict.scan("gloomy and dreary")
    assert both.categories == {Category.DISTRESS: pytest.approx(0.64)}
    assert both.severity is Severity.NORMAL


def test_a_repeated_term_counts_once(tmp_path: Path) -> None:
    detector = LexiconDetector(load_lexicons(write_lexicons(tmp_path, LEXICON)))
    assert detector.scan("gloomy gloomy gloomy").score == pytest.approx(0.4)
    # A very long, repetitive message is capped per term, and still scored the same way.
    long = "gloomy and dreary, " * 2_000 + "i will hit u"
    found = detector.scan(long)
    assert found.categories == {
        Category.DISTRESS: pytest.approx(0.64),
        Category.VIOLENCE_THREAT: pytest.approx(0.6),
    }


def test_context_window_benign_and_term_severity(tmp_path: Path) -> None:
    detector = LexiconDetector(load_lexicons(write_lexicons(tmp_path, LEXICON)))
    assert detector.scan("i will hit u").categories == {
        Category.VIOLENCE_THREAT: pytest.approx(0.6)
    }
    # "round" within 3 words: x0.25; further away it does not count.
    assert detector.scan("i will hit u this round").score == pytest.approx(0.15)
    far = detector.scan("i will hit u, and one two three four round")
    assert far.score == pytest.approx(0.6)
    assert not detector.scan("i will hit u up later").flagged  # a benign phrase covers it
    urgent = detector.scan("burn the school this round")  # ignores the gaming modifier
    assert urgent.severity is Severity.URGENT
    assert urgent.matched == ("burn the school",)


# --- validation ---------------------------------------------------------------------


def test_problems_name_file_and_line(tmp_path: Path) -> None:
    broken = LEXICON.replace("terms: [gloomy, dreary]", 'terms: [gloomy, "{dreary"]')
    broken = broken.replace("ignore: [gaming]", "ignore: [gamming]")
    broken = broken.replace("factor: 0.25", "factor: 3")
    folder = write_lexicons(tmp_path, broken)
    with pytest.raises(ConfigError) as err:
        load_lexicons(folder)
    shown = [str(problem) for problem in err.value.problems]
    lines = broken.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, text in enumerate(lines, 1) if fragment in text)

    file = str(folder / "xx.yaml")
    assert any(s.startswith(f"{file}:{line_of('{dreary')}:") and "unbalanced" in s for s in shown)
    assert any(s.startswith(f"{file}:{line_of('gamming')}:") and "gamming" in s for s in shown)
    assert any(s.startswith(f"{file}:{line_of('factor: 3')}:") for s in shown)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_lexicons(tmp_path)
    shown = "\n".join(str(problem) for problem in err.value.problems)
    assert "categories.yaml: file missing" in shown and "no lexicon files" in shown


def test_a_missing_category_is_refused(tmp_path: Path) -> None:
    folder = write_lexicons(tmp_path, LEXICON)
    text = (folder / "categories.yaml").read_text(encoding="utf-8")
    (folder / "categories.yaml").write_text(
        "\n".join(line for line in text.splitlines() if "grooming" not in line),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="missing categories: grooming"):
        load_lexicons(folder)


# --- purity -------------------------------------------------------------------------


def test_scan_is_pure(detector: LexiconDetector, monkeypatch: pytest.MonkeyPatch) -> None:
    as_protocol: Detector = detector  # the protocol from bot.core.detection
    assert as_protocol.scan("hello there") == Detection(0.0)
    texts = ["i want to kill myself", "I'll kill you this round", "hello", "k1ll u"]
    before = [detector.scan(text) for text in texts]
    keys = detector.key_count, len(detector._automaton)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("scan did I/O")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    after = [detector.scan(text) for text in texts]
    again = [detector.scan(text) for text in reversed(texts)][::-1]
    assert before == after == again
    assert (detector.key_count, len(detector._automaton)) == keys
    assert all(isinstance(found, Detection) for found in after)
    with pytest.raises(AttributeError):
        after[0].score = 0.0  # type: ignore[misc]
