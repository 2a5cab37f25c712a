"""Settings files: validation with line numbers, secrets only from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import ConfigError, Secrets, load_settings, parse_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "haven.example.yaml"


def test_example_file_is_valid() -> None:
    settings = load_settings(EXAMPLE)
    assert settings.matrix.enabled and settings.default_locale == "nl"


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_settings(text, "haven.yaml")
    return [str(p) for p in err.value.problems]


def test_every_problem_names_its_line_and_path() -> None:
    found = problems(
        "instance_name: x\nmatrix:\n  enabled: true\n  sync_timeout_ms: lots\n  colour: red\n"
        "timezone: Mars/Base\n"
    )
    assert "haven.yaml:4: matrix.sync_timeout_ms: Input should be a valid integer" in found[
        0
    ] or any(p.startswith("haven.yaml:4: matrix.sync_timeout_ms") for p in found)
    assert any(p.startswith("haven.yaml:5: matrix.colour") for p in found)
    assert any(p.startswith("haven.yaml:6: timezone") for p in found)
    assert len(found) == 3


def test_bad_yaml_is_reported_with_its_line() -> None:
    found = problems("matrix:\n  enabled: true\n   bad: [\n")
    assert len(found) == 1 and found[0].startswith("haven.yaml:") and "invalid YAML" in found[0]


def test_secrets_in_the_file_are_refused_with_the_env_name() -> None:
    found = problems("matrix:\n  password: hunter2\n")
    assert found == [
        "haven.yaml:2: matrix.password: secrets are not read from files; set the environment "
        "variable HAVEN_MATRIX_PASSWORD instead"
    ]


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAVEN_DISCORD_TOKEN", "abc.def")
    secrets = Secrets()
    assert secrets.discord_token is not None
    assert secrets.discord_token.get_secret_value() == "abc.def"
    assert "abc.def" not in repr(secrets)


def test_check_config_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("default_locale: de\n")
    assert main(["check-config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:1: default_locale" in err and "1 problem(s) found." in err
