"""The ethical and legal framework file: purposes, data classes, retention, notices.

Validated by pydantic; problems are reported with their line, like the settings file.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.capabilities import Role
from bot.settings import ConfigError, ConfigProblem, validate_yaml

_RETENTION = re.compile(r"^\s*(\d+)\s*([dwy])\s*$")
_UNIT_DAYS = {"d": 1, "w": 7, "y": 365}

LegalBasis = Literal[
    "consent", "contract", "legal_obligation", "vital_interest", "public_task",
    "legitimate_interest",
]  # fmt: skip


def parse_retention(value: str) -> timedelta:
    """`30d`, `26w` or `5y` -> a timedelta of at least one day."""
    match = _RETENTION.match(value)
    if match is None or int(match[1]) <= 0:
        raise ValueError("retention must look like 30d, 26w or 5y")
    return timedelta(days=int(match[1]) * _UNIT_DAYS[match[2]])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataClass(_Strict):
    """One kind of data: why Haven keeps it, on what basis, how long, who reads it."""

    purpose: str
    legal_basis: LegalBasis
    retention: str
    readers: list[Role] = Field(min_length=1)

    @field_validator("retention")
    @classmethod
    def _retention_shape(cls, value: str) -> str:
        parse_retention(value)
        return value

    @property
    def keep_for(self) -> timedelta:
        """The retention period."""
        return parse_retention(self.retention)


class Framework(_Strict):
    """The whole framework file."""

    purposes: dict[str, dict[Literal["en", "nl", "fr"], str]]
    data_classes: dict[str, DataClass]
    screened_rooms: list[str] = Field(default_factory=list)
    notices: dict[Literal["en", "nl", "fr"], str]

    @model_validator(mode="after")
    def _purposes_exist(self) -> Framework:
        for name, data_class in self.data_classes.items():
            if data_class.purpose not in self.purposes:
                raise ValueError(f"data class {name} names unknown purpose {data_class.purpose}")
        return self

    @model_validator(mode="after")
    def _every_language(self) -> Framework:
        for name, texts in self.purposes.items():
            if set(texts) != {"en", "nl", "fr"}:
                raise ValueError(f"purpose {name} needs en, nl and fr texts")
        if set(self.notices) != {"en", "nl", "fr"}:
            raise ValueError("notices need en, nl and fr texts")
        return self


def load_framework(path: Path | str) -> Framework:
    """Read and validate a framework file (ConfigError lists every problem by line)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return validate_yaml(text, str(file), Framework)
