"""The framework file: validation by line, and every table declares its data class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.features.privacy.framework import Framework, load_framework, parse_retention
from bot.settings import ConfigError, validate_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "framework.yaml"
MIGRATIONS = ROOT / "bot" / "storage" / "migrations"


def test_example_framework_is_valid() -> None:
    framework = load_framework(EXAMPLE)
    assert framework.data_classes["operational"].keep_for.days == 30


def test_retention_units() -> None:
    assert parse_retention("2w").days == 14
    assert parse_retention("5y").days == 1825
    for bad in ("0d", "soon", "3 months"):
        with pytest.raises(ValueError):
            parse_retention(bad)


def test_problems_are_named_with_their_line() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("retention: 30d", "retention: forever", 1)
    text = text.replace("purpose: accountability", "purpose: surveillance", 1)
    with pytest.raises(ConfigError) as err:
        validate_yaml(text, "framework.yaml", Framework)
    shown = [str(p) for p in err.value.problems]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "retention: forever" in t)
    assert any(p.startswith(f"framework.yaml:{line}: data_classes.operational.retention")
               for p in shown)  # fmt: skip


def test_unknown_purpose_is_refused() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "purpose: accountability", "purpose: surveillance", 1
    )
    with pytest.raises(ConfigError) as err:
        validate_yaml(text, "framework.yaml", Framework)
    assert "unknown purpose surveillance" in str(err.value)


def tables_and_classes() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(MIGRATIONS.glob("*.sql")):
        current = None
        for line in path.read_text(encoding="utf-8").splitlines():
            marker = re.match(r"--\s*data class:\s*([a-z_]+)", line)
            if marker:
                current = marker[1]
            created = re.match(r"\s*CREATE TABLE (\w+)", line)
            if created:
                found[created[1]] = current or ""
    return found


def test_every_table_declares_a_data_class_the_framework_knows() -> None:
    framework = load_framework(EXAMPLE)
    tables = tables_and_classes()
    assert "person" in tables and "tournament" in tables
    undeclared = {t for t, c in tables.items() if not c}
    unknown = {t: c for t, c in tables.items() if c and c not in framework.data_classes}
    assert undeclared == set()
    assert unknown == {}
