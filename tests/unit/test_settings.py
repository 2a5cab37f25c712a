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


def test_secret_hints_name_the_variable_haven_reads() -> None:
    found = problems("matrix:\n  token: abc\ndiscord:\n  token: xyz\n")
    assert "HAVEN_MATRIX_ACCESS_TOKEN" in found[0]
    assert "HAVEN_DISCORD_TOKEN" in found[1]


def test_enabled_platforms_need_their_account_and_guilds() -> None:
    found = problems("matrix:\n  enabled: true\ndiscord:\n  enabled: true\n")
    assert any("matrix.enabled needs matrix.user_id" in p for p in found)
    assert any("discord.enabled needs at least one id in discord.guild_ids" in p for p in found)


def test_run_with_a_missing_secret_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HAVEN_MATRIX_PASSWORD", "HAVEN_MATRIX_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "haven.yaml"
    config.write_text(
        f"database:\n  path: {tmp_path / 'h.db'}\nmatrix:\n  enabled: true\n"
        "  user_id: '@bot:example.org'\n  homeserver: http://127.0.0.1:9\n"
    )
    assert main(["run", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "neither HAVEN_MATRIX_ACCESS_TOKEN nor HAVEN_MATRIX_PASSWORD is set" in err
    assert "Traceback" not in err


def test_migrate_with_a_bad_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("timezone: Mars/Base\n")
    assert main(["migrate", "--config", str(bad)]) == 1
    assert "unknown time zone" in capsys.readouterr().err


def test_check_config_covers_feature_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken feature file beside the framework is reported with its line."""
    import shutil

    config_dir = Path(__file__).resolve().parents[2] / "config"
    for item in config_dir.iterdir():
        if item.is_dir():
            shutil.copytree(item, tmp_path / item.name)
        else:
            shutil.copy(item, tmp_path / item.name)
    settings = tmp_path / "haven.yaml"
    settings.write_text(f"framework: {tmp_path / 'framework.yaml'}\n")
    assert main(["check-config", str(settings)]) == 0
    assert f"{tmp_path / 'signposting.yaml'}: OK" in capsys.readouterr().out
    lines = (tmp_path / "helpdesk.yaml").read_text().splitlines()
    lines.append("surprise_key: 1")
    (tmp_path / "helpdesk.yaml").write_text("\n".join(lines) + "\n")
    assert main(["check-config", str(settings)]) == 1
    assert f"{tmp_path / 'helpdesk.yaml'}:{len(lines)}: surprise_key" in capsys.readouterr().err
