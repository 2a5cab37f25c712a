"""The signposting directory: local services and helplines, from `config/signposting.yaml`.

Registered as `app.services["directory"]`. Other features (the safety pipeline's urgent
signposting) call `helplines(category, language)`; members see `resources [topic]`.
The method names, topics and categories are a stable, documented interface
(docs/helpdesk.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.settings import ConfigError, ConfigProblem, validate_yaml

Lang = Literal["en", "nl", "fr"]

TOPICS: tuple[str, ...] = (
    "feelings", "suicide", "family", "school", "bullying", "violence", "extremism", "drugs",
    "money", "rights", "online", "other",
)  # fmt: skip
"""What a young person can ask about (`helpme` and `resources` choices)."""

CATEGORIES: tuple[str, ...] = (
    "emergency", "suicide", "self_harm", "crisis", "violence", "child_abuse", "missing_child",
    "threat",
)  # fmt: skip
"""Urgent-signposting categories for `helplines` (used by the safety pipeline)."""

Topic = Literal[
    "feelings", "suicide", "family", "school", "bullying", "violence", "extremism", "drugs",
    "money", "rights", "online", "other",
]  # fmt: skip
Category = Literal[
    "emergency", "suicide", "self_harm", "crisis", "violence", "child_abuse", "missing_child",
    "threat",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _all_languages(texts: dict[str, str], what: str) -> None:
    if set(texts) != {"en", "nl", "fr"}:
        raise ValueError(f"{what} needs en, nl and fr texts")


class Contact(_Strict):
    """How to reach a service: at least one of phone, url, chat or a note."""

    phone: str | None = Field(default=None, pattern=r"^[0-9 +]{3,20}$")
    url: str | None = Field(default=None, pattern=r"^https://\S+$")
    chat: str | None = Field(default=None, pattern=r"^https://\S+$")
    note: dict[Lang, str] | None = None

    @model_validator(mode="after")
    def _something(self) -> Contact:
        if not (self.phone or self.url or self.chat or self.note):
            raise ValueError("a contact needs a phone, url, chat or note")
        if self.note is not None:
            _all_languages(self.note, "contact.note")
        return self

    def text(self, language: str) -> str:
        """One line: phone · site · chat · note (in `language`)."""
        parts = [p for p in (self.phone, self.url, self.chat) if p]
        if self.note:
            parts.append(self.note.get(language) or self.note["en"])  # type: ignore[call-overload]
        return " · ".join(parts)


class Service(_Strict):
    """One service or helpline of the directory."""

    id: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    name: str = Field(min_length=1, max_length=80)
    about: dict[Lang, str]
    topics: list[Topic] = Field(default_factory=list)
    categories: list[Category] = Field(default_factory=list)
    contact: Contact
    hours: dict[Lang, str]
    languages: list[str] = Field(min_length=1)
    verified: bool = False  # false: an example still to check with the service

    @model_validator(mode="after")
    def _texts(self) -> Service:
        _all_languages(self.about, "about")
        _all_languages(self.hours, "hours")
        if not (self.topics or self.categories):
            raise ValueError("a service needs at least one topic or category")
        return self

    def speaks(self, language: str) -> bool:
        """True when the service answers in `language`."""
        return language in self.languages

    def describe(self, language: str) -> str:
        """`name — about (contact; hours)` in `language` (en/nl/fr)."""
        lang = language if language in ("en", "nl", "fr") else "en"
        about = self.about[lang]  # type: ignore[index]
        hours = self.hours[lang]  # type: ignore[index]
        spoken = ", ".join(self.languages)
        return f"{self.name} — {about} {self.contact.text(lang)} ({hours}; {spoken})"


class DirectoryFile(_Strict):
    """The whole signposting file."""

    services: list[Service] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> DirectoryFile:
        seen: set[str] = set()
        for service in self.services:
            if service.id in seen:
                raise ValueError(f"service id {service.id} appears twice")
            seen.add(service.id)
        return self


class Directory:
    """Looks services up by topic or urgent category, preferring the person's language."""

    def __init__(self, services: list[Service]) -> None:
        self.services = list(services)

    def _pick(self, matches: list[Service], language: str | None) -> list[Service]:
        # Someone in need is never left without a number because of language: every
        # match is returned, those answering in the person's language first.
        if language is None:
            return matches
        return sorted(matches, key=lambda s: not s.speaks(language))

    def for_topic(self, topic: str, language: str | None = None) -> list[Service]:
        """Services for a topic (`TOPICS`): those speaking `language` first, then the rest,
        each group in file order. Unknown topics raise KeyError."""
        if topic not in TOPICS:
            raise KeyError(topic)
        return self._pick([s for s in self.services if topic in s.topics], language)

    def helplines(self, category: str, language: str | None = None) -> list[Service]:
        """Helplines for an urgent category (`CATEGORIES`): those speaking `language` first,
        then the rest, each group in file order. Unknown categories raise KeyError."""
        if category not in CATEGORIES:
            raise KeyError(category)
        return self._pick([s for s in self.services if category in s.categories], language)

    def get(self, service_id: str) -> Service | None:
        """A service by id."""
        return next((s for s in self.services if s.id == service_id), None)


def parse_directory(text: str, filename: str = "signposting.yaml") -> Directory:
    """Validate directory YAML (ConfigError lists every problem with its line)."""
    return Directory(validate_yaml(text, filename, DirectoryFile).services)


def load_directory(path: Path | str) -> Directory:
    """Read and validate the signposting file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), None, "", f"cannot read: {exc}")]) from None
    return parse_directory(text, str(file))
