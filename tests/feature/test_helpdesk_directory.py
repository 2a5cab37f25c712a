"""The signposting directory and the help-desk config: validation by line, lookups, hours."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.features.helpdesk.config import HelpdeskSettings, OfficeHours, load_helpdesk_settings
from bot.features.helpdesk.directory import CATEGORIES, TOPICS, load_directory, parse_directory
from bot.settings import ConfigError, validate_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "signposting.yaml"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_directory(text, "signposting.yaml")
    return [str(p) for p in err.value.problems]


def line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


def test_the_shipped_directory_loads_and_covers_every_topic_and_category() -> None:
    directory = load_directory(EXAMPLE)
    for topic in TOPICS:
        if topic != "other":
            assert directory.for_topic(topic, "nl"), topic
    for category in CATEGORIES:
        assert directory.helplines(category, "fr"), category
    assert [s.name for s in directory.helplines("suicide", "nl")][:2] == [
        "112", "Zelfmoordlijn 1813",
    ]  # fmt: skip
    assert directory.helplines("suicide", "fr")[1].contact.phone == "0800 32 123"
    with pytest.raises(KeyError):
        directory.helplines("aliens", "en")


def test_a_bad_phone_is_named_with_its_line() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('phone: "102"', 'phone: "call us"', 1)
    shown = problems(text)
    line = line_of(text, 'phone: "call us"')
    assert any(p.startswith(f"signposting.yaml:{line}: services.1.contact.phone") for p in shown)


def test_an_unknown_topic_and_a_missing_language_are_refused() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("topics: [drugs]", "topics: [drugz]", 1)
    text = text.replace("      fr: Ligne d'écoute pour les enfants et les jeunes.\n", "", 1)
    shown = problems(text)
    assert any(f"signposting.yaml:{line_of(text, 'drugz')}:" in p for p in shown)
    assert any("about needs en, nl and fr texts" in p for p in shown)


def test_duplicates_and_broken_yaml() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace("id: tele_accueil", "id: tele_onthaal")
    assert any("tele_onthaal appears twice" in p for p in problems(text))
    assert any("invalid YAML" in p for p in problems("services: [\n  - {"))
    assert any("contact needs" in p for p in problems(
        "services:\n  - id: x1\n    name: X\n    about: {en: a, nl: a, fr: a}\n"
        "    topics: [other]\n    contact: {}\n    hours: {en: a, nl: a, fr: a}\n"
        "    languages: [nl]\n"
    ))  # fmt: skip


def test_helpdesk_config_errors_name_the_line(tmp_path: Path) -> None:
    text = 'office_hours:\n  - days: [mon]\n    from: "21:00"\n    to: "15:00"\n'
    with pytest.raises(ConfigError) as err:
        validate_yaml(text, "helpdesk.yaml", HelpdeskSettings)
    assert str(err.value.problems[0]).startswith("helpdesk.yaml:2: office_hours.0")
    bad_day = 'office_hours:\n  - days: [moon]\n    from: "9:00"\n    to: "10:00"\n'
    with pytest.raises(ConfigError) as err:
        validate_yaml(bad_day, "helpdesk.yaml", HelpdeskSettings)
    assert "helpdesk.yaml:2: office_hours.0.days.0" in str(err.value)
    assert load_helpdesk_settings(tmp_path / "missing.yaml") == HelpdeskSettings()
    assert load_helpdesk_settings(ROOT / "config" / "helpdesk.yaml").office_hours


def test_office_hours_next_opening_across_the_week() -> None:
    zone = ZoneInfo("Europe/Brussels")
    settings = load_helpdesk_settings(ROOT / "config" / "helpdesk.yaml")
    hours = OfficeHours(settings.office_hours, zone)
    saturday_late = datetime(2026, 1, 24, 20, 0, tzinfo=UTC)  # 21:00 local
    assert not hours.is_open(saturday_late)
    assert hours.next_opening(saturday_late) == datetime(2026, 1, 26, 15, 0, tzinfo=zone)
    wednesday = datetime(2026, 1, 21, 12, 30, tzinfo=UTC)  # 13:30 local
    assert hours.is_open(wednesday)
    assert OfficeHours([], zone).is_open(saturday_late)
    assert OfficeHours([], zone).next_opening(saturday_late) is None
