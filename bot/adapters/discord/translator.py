"""A discord.py `Translator` fed by Haven's own gettext catalogues."""

from __future__ import annotations

from discord import Locale, app_commands

from bot.core.i18n import Catalogues, normalise_locale


class CatalogueTranslator(app_commands.Translator):
    """Translates command names, descriptions and choices with Haven's catalogues.

    Each `locale_str` carries its catalogue key in `extras["key"]`; English is the
    default text Discord shows, so only other supported locales are filled in.
    """

    def __init__(self, catalogues: Catalogues) -> None:
        self.catalogues = catalogues

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The catalogue text for `string` in `locale`, or None to keep the default."""
        key = string.extras.get("key")
        language = normalise_locale(locale.value)
        if not key or language is None or language == "en":
            return None
        text = self.catalogues.lookup(language, key)
        if text is None:
            return None
        if string.extras.get("slug"):
            return slug(text)
        return text[:100]


def slug(text: str) -> str:
    """A Discord-valid option name: lowercase, no spaces, at most 32 characters."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return cleaned[:32] or "option"
