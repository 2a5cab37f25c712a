"""`config/safety.yaml`: acknowledgement deadlines, urgent risk, fallback helplines.

Validated with pydantic through `validate_yaml`, so a mistake is reported with its line.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.conversion import parse_duration
from bot.core.detection import Category, Severity
from bot.core.errors import UserError
from bot.settings import ConfigError, ConfigProblem, validate_yaml

DEFAULT_PATH = Path(__file__).resolve().parents[3] / "config" / "safety.yaml"


def _duration(value: str) -> timedelta:
    try:
        parsed = parse_duration(value)
    except UserError:
        raise ValueError("a duration looks like 5m, 30m, 24h or 2d") from None
    if parsed <= timedelta(0):
        raise ValueError("a duration must be positive")
    return parsed


def _check_duration(value: str) -> str:
    _duration(value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HomeserverReports(_Strict):
    """Polling Synapse's event reports (only works when the bot is a server admin)."""

    enabled: bool = True
    every: Duration = "60s"

    @property
    def interval(self) -> timedelta:
        """How often to poll."""
        return _duration(self.every)


class SafetyConfig(_Strict):
    """The whole safety file."""

    deadlines: dict[Severity, Duration]
    urgent_risk: list[Category] = Field(
        default_factory=lambda: [Category.SELF_HARM, Category.VIOLENCE_THREAT]
    )
    excerpt_limit: int = Field(default=400, ge=40, le=2000)
    concern_rooms: bool = True
    homeserver_reports: HomeserverReports = Field(default_factory=HomeserverReports)
    fallback_helplines: dict[Literal["en", "nl", "fr"], list[str]]

    @field_validator("deadlines")
    @classmethod
    def _every_severity(cls, value: dict[Severity, str]) -> dict[Severity, str]:
        missing = set(Severity) - set(value)
        if missing:
            raise ValueError(f"a deadline is needed for {', '.join(sorted(missing))}")
        return value

    @model_validator(mode="after")
    def _every_language(self) -> SafetyConfig:
        if set(self.fallback_helplines) != {"en", "nl", "fr"}:
            raise ValueError("fallback_helplines need en, nl and fr lists")
        return self

    def deadline(self, severity: Severity | str) -> timedelta:
        """How long a concern of `severity` may wait for an acknowledgement."""
        return _duration(self.deadlines[Severity(severity)])

    def helplines(self, language: str) -> list[str]:
        """The fallback helplines in `language` (English when not translated)."""
        return list(self.fallback_helplines.get(language) or self.fallback_helplines["en"])  # type: ignore[call-overload]


def load_safety_config(path: Path | str = DEFAULT_PATH) -> SafetyConfig:
    """Read and validate the safety file (ConfigError lists every problem by line)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return validate_yaml(text, str(file), SafetyConfig)
