"""Translations: gettext catalogues (nl, fr, en) read with Babel.

Every user-visible text has a message key (the msgid); the English catalogue holds the
source texts. Placeholders use `str.format` names, e.g. `{command}`.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

SUPPORTED_LOCALES: tuple[str, ...] = ("en", "nl", "fr")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "haven"


def normalise_locale(value: str | None) -> str | None:
    """Map a platform locale such as `en-US`, `nl_BE` or `fr` to a supported one."""
    if not value:
        return None
    base = value.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES else None


def placeholders(text: str) -> set[str]:
    """Names of the `{placeholders}` in a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalogues:
    """All catalogues, loaded once from `.po` files."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = {loc: dict(msgs) for loc, msgs in messages.items()}

    @classmethod
    def load(cls, directory: Path = LOCALE_DIR, locales: Iterable[str] = SUPPORTED_LOCALES):
        """Read every `<dir>/<locale>/LC_MESSAGES/*.po` for each locale.

        `haven.po` holds the shared texts; each feature may keep its own file (`safety.po`,
        ...) so features translate side by side. A key defined twice is an error.
        """
        messages: dict[str, dict[str, str]] = {}
        for loc in locales:
            messages[loc] = {}
            for path in sorted((directory / loc / "LC_MESSAGES").glob("*.po")):
                with path.open("rb") as fh:
                    catalog = read_po(fh, locale=loc)
                for m in catalog:
                    if not (m.id and m.string and not m.fuzzy):
                        continue
                    if str(m.id) in messages[loc]:
                        raise ValueError(f"message key {m.id} defined twice ({path.name})")
                    messages[loc][str(m.id)] = str(m.string)
        return cls(messages)

    def locales(self) -> list[str]:
        """Loaded locales."""
        return list(self._messages)

    def keys(self, locale: str = "en") -> set[str]:
        """Message keys present in one locale."""
        return set(self._messages.get(locale, {}))

    def lookup(self, locale: str, key: str) -> str | None:
        """The raw text of `key` in `locale`, if translated."""
        return self._messages.get(locale, {}).get(key)

    def translator(self, locale: str) -> Translator:
        """A translator bound to `locale` (falling back to English, then the key)."""
        return Translator(self, locale if locale in self._messages else "en")


class Translator:
    """Renders message keys in one locale."""

    def __init__(self, catalogues: Catalogues, locale: str) -> None:
        self.catalogues = catalogues
        self.locale = locale

    def gettext(self, key: str, /, **args: Any) -> str:
        """The text of `key` with its placeholders filled."""
        text = self.catalogues.lookup(self.locale, key)
        if text is None:
            text = self.catalogues.lookup("en", key)
            if text is None:
                log.warning("missing message key %s", key)
                return key
        try:
            return text.format(**args) if args or "{" in text else text
        except (KeyError, IndexError, ValueError):
            log.warning("bad placeholders for message key %s", key)
            return text

    def template(self, key: str) -> str:
        """The unformatted text of `key` (for callers that fill placeholders later)."""
        return self.catalogues.lookup(self.locale, key) or self.catalogues.lookup("en", key) or key

    def has(self, key: str) -> bool:
        """True when `key` exists in this locale or English."""
        return (
            self.catalogues.lookup(self.locale, key) is not None
            or self.catalogues.lookup("en", key) is not None
        )


@cache
def default_catalogues() -> Catalogues:
    """The catalogues shipped with Haven, loaded once per process."""
    return Catalogues.load()
