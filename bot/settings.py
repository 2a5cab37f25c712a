"""Settings: a YAML file validated by pydantic, plus secrets from the environment only.

The YAML file never holds a secret: access tokens and passwords come from `HAVEN_*`
environment variables (`Secrets`). `load_settings` reports every problem with the line
in the file where it sits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.capabilities import Role

SECRET_KEYS = {"password", "access_token", "token", "secret"}
ModelT = TypeVar("ModelT", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatrixRoles(_Strict):
    """How Matrix users map to Haven roles: power levels in the space, or explicit lists."""

    power_levels: dict[Role, int] = Field(
        default_factory=lambda: {Role.YOUTH_WORKER: 20, Role.MODERATOR: 50, Role.COORDINATOR: 100}
    )
    users: dict[Role, list[str]] = Field(default_factory=dict)


class MatrixSettings(_Strict):
    """The Matrix side. The password or access token comes from the environment."""

    enabled: bool = False
    homeserver: str = "http://127.0.0.1:8008"
    user_id: str = ""
    device_name: str = "haven-bot"
    space_id: str | None = None
    rooms: dict[str, str] = Field(default_factory=dict)
    command_prefix: str = "!"
    ignore_users: list[str] = Field(default_factory=list)
    roles: MatrixRoles = Field(default_factory=MatrixRoles)
    sync_timeout_ms: int = Field(default=30_000, ge=0, le=120_000)

    @field_validator("user_id")
    @classmethod
    def _user_id_shape(cls, value: str) -> str:
        if value and not (value.startswith("@") and ":" in value):
            raise ValueError("must look like @name:server")
        return value

    @model_validator(mode="after")
    def _enabled_needs_account(self) -> MatrixSettings:
        if self.enabled and not self.user_id:
            raise ValueError("matrix.enabled needs matrix.user_id")
        return self

    @field_validator("command_prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        if not value or len(value) > 3 or any(ch.isspace() for ch in value):
            raise ValueError("must be 1 to 3 characters without spaces")
        return value


class DiscordSettings(_Strict):
    """The Discord side. The bot token comes from the environment."""

    enabled: bool = False
    guild_ids: list[int] = Field(default_factory=list)
    roles: dict[Role, list[int]] = Field(default_factory=dict)
    channels: dict[str, int] = Field(default_factory=dict)  # purpose -> channel id
    api_base_url: str | None = None
    gateway_url: str | None = None
    guild_ready_timeout: float = Field(default=2.0, gt=0, le=60)
    text_commands: bool = True  # also answer `!command` messages, as on Matrix
    command_prefix: str = "!"

    @model_validator(mode="after")
    def _enabled_needs_guilds(self) -> DiscordSettings:
        # Commands are synced per guild; with none, nobody could use Haven.
        if self.enabled and not self.guild_ids:
            raise ValueError("discord.enabled needs at least one id in discord.guild_ids")
        return self


class DatabaseSettings(_Strict):
    """Where data lives; SQLite by default."""

    path: Path = Path("var/haven.db")


class Settings(_Strict):
    """Everything Haven reads from its configuration file."""

    instance_name: str = "Haven"
    dry_run: bool = False  # moderation actions are only recorded, never carried out
    default_locale: Literal["en", "nl", "fr"] = "en"
    timezone: str = "Europe/Brussels"
    data_dir: Path = Path("var")
    framework: Path = Path("config/framework.yaml")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    matrix: MatrixSettings = Field(default_factory=MatrixSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)


class Secrets(BaseSettings):
    """Secrets, from the environment only (`HAVEN_MATRIX_PASSWORD`, ...)."""

    model_config = SettingsConfigDict(env_prefix="HAVEN_", extra="ignore")

    matrix_password: SecretStr | None = None
    matrix_access_token: SecretStr | None = None
    discord_token: SecretStr | None = None


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a configuration file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration file has problems; `problems` lists each with its line."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _line_index(node: yaml.Node, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], int]:
    """Map each key path in a composed YAML tree to its 1-based line."""
    lines = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            lines.update(_line_index(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, (*path, index)))
    return lines


def _line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for cut in range(len(loc), -1, -1):
        found = lines.get(tuple(str(p) if not isinstance(p, int) else p for p in loc[:cut]))
        if found is not None:
            return found
    return None


def validate_yaml(
    text: str,
    filename: str,
    model: type[ModelT],
    extra: Callable[[dict[str, Any]], list[tuple[tuple[Any, ...], str, bool]]] | None = None,
) -> ModelT:
    """Validate YAML text into `model`, raising ConfigError with every problem's line.

    `extra` may add problems as (path, message, hides_pydantic_error) for a file's own
    rules (e.g. secrets that must not be in it).
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [ConfigProblem(filename, line, "", f"invalid YAML: {problem}")]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem(filename, 1, "", "the file must hold a mapping")])
    lines = _line_index(node) if node is not None else {}
    found = extra(data) if extra is not None else []
    problems = [
        ConfigProblem(filename, lines.get(path), ".".join(map(str, path)), message)
        for path, message, _ in found
    ]
    hidden = {path for path, _, hides in found if hides}
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc in hidden and err["type"] == "extra_forbidden":
                continue  # already reported with a better hint
            problems.append(
                ConfigProblem(filename, _line_for(lines, loc), ".".join(map(str, loc)), err["msg"])
            )
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    return validated


def parse_settings(text: str, filename: str = "<config>") -> Settings:
    """Validate YAML text into Settings, raising ConfigError with every problem."""

    def secrets_in_file(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, bool]]:
        return [(path, _secret_hint(path), True) for path in _secret_paths(data)]

    return validate_yaml(text, filename, Settings, secrets_in_file)


def _is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


def _secret_paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if _is_secret_key(key):
                found.append((*path, key))
            else:
                found.extend(_secret_paths(value, (*path, key)))
    return found


KNOWN_SECRET_VARIABLES = {
    ("matrix", "password"): "HAVEN_MATRIX_PASSWORD",
    ("matrix", "access_token"): "HAVEN_MATRIX_ACCESS_TOKEN",
    ("matrix", "token"): "HAVEN_MATRIX_ACCESS_TOKEN",
    ("discord", "token"): "HAVEN_DISCORD_TOKEN",
    ("discord", "access_token"): "HAVEN_DISCORD_TOKEN",
}


def _secret_hint(path: tuple[Any, ...]) -> str:
    key = tuple(str(p).lower() for p in path[-2:])
    env = KNOWN_SECRET_VARIABLES.get(key)  # type: ignore[arg-type]
    if env is None:
        return "secrets are not read from files; Haven takes them from HAVEN_* variables"
    return f"secrets are not read from files; set the environment variable {env} instead"


def load_settings(path: Path | str) -> Settings:
    """Read and validate a settings file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return parse_settings(text, str(file))
