"""Every message key is translated in every language, with matching placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import DEFAULT_FEATURES
from bot.core.commands import CommandRegistry
from bot.core.i18n import SUPPORTED_LOCALES, Catalogues, default_catalogues, placeholders

BOT = Path(__file__).resolve().parents[2] / "bot"
# Keys appear as the first argument of UserError, ctx.t and gettext, and in *_key= fields.
KEY_LITERAL = re.compile(
    r"""(?:UserError|ArgumentError|\bt|gettext|_key\s*=)\(?\s*["']([a-z_]+\.[a-z_.]+)["']"""
)


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in BOT.rglob("*.py"):
        keys.update(KEY_LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


def declared_keys(registry: CommandRegistry) -> set[str]:
    keys: set[str] = set()
    for command in registry:
        keys.add(command.description_key)
        if command.confirm_key:
            keys.add(command.confirm_key)
        if command.message_menu_key:
            keys.add(command.message_menu_key)
        if command.group:
            keys.add(f"group.{command.group}.description")
        for param in command.params:
            keys.add(param.description_key)
            keys.add(f"optname.{param.shown_name}")
            keys.update(param.choice_key(c) for c in param.choices)
    return keys


@pytest.fixture(scope="module")
def registry() -> CommandRegistry:
    import importlib

    from bot.app import Haven
    from bot.settings import Settings

    app = Haven(Settings())
    for name in DEFAULT_FEATURES:
        importlib.import_module(f"bot.features.{name}").setup(app)
    return app.registry


def test_every_used_key_exists_in_english(registry: CommandRegistry) -> None:
    english = default_catalogues().keys("en")
    missing = (used_keys() | declared_keys(registry)) - english
    assert missing == set()


@pytest.mark.parametrize("locale", [loc for loc in SUPPORTED_LOCALES if loc != "en"])
def test_every_key_is_translated(locale: str) -> None:
    catalogues = default_catalogues()
    assert catalogues.keys("en") - catalogues.keys(locale) == set()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_placeholders_match_english(locale: str) -> None:
    catalogues = default_catalogues()
    wrong = {
        key: sorted(placeholders(catalogues.lookup(locale, key) or ""))
        for key in catalogues.keys("en")
        if not placeholders(catalogues.lookup(locale, key) or "")
        <= placeholders(catalogues.lookup("en", key) or "")
    }
    assert wrong == {}


def test_key_scanner_finds_keys_in_calls() -> None:
    sample = (
        'raise UserError("error.x", a=1)\nctx.t("help.y")\nt.gettext("z.w")\nconfirm_key="q.r"'
    )
    assert set(KEY_LITERAL.findall(sample)) == {"error.x", "help.y", "z.w", "q.r"}


def test_missing_translation_is_detected() -> None:
    catalogues = Catalogues({"en": {"a": "A", "b": "B"}, "nl": {"a": "A"}})
    assert catalogues.keys("en") - catalogues.keys("nl") == {"b"}
    assert catalogues.translator("nl").gettext("b") == "B"


def test_locale_normalisation() -> None:
    from bot.core.i18n import normalise_locale

    assert normalise_locale("en-US") == "en"
    assert normalise_locale("nl_BE") == "nl"
    assert normalise_locale("de") is None


def test_feature_domains_merge_and_duplicates_are_refused(tmp_path: Path) -> None:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    def write(domain: str, entries: dict[str, str]) -> None:
        folder = tmp_path / "en" / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale="en", domain=domain)
        for key, text in entries.items():
            catalog.add(key, text)
        with (folder / f"{domain}.po").open("wb") as fh:
            write_po(fh, catalog)

    write("haven", {"a.b": "A"})
    write("safety", {"c.d": "C"})
    loaded = Catalogues.load(tmp_path, ["en"])
    assert loaded.keys("en") == {"a.b", "c.d"}
    write("rooms", {"a.b": "again"})
    with pytest.raises(ValueError, match=r"a\.b"):
        Catalogues.load(tmp_path, ["en"])
