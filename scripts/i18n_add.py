#!/usr/bin/env python3
"""Add or update message keys in all three catalogues at once.

    .venv/bin/python scripts/i18n_add.py [--domain NAME] KEY "English" "Nederlands" "Français" ...

`--domain safety` writes to `bot/locale/<lang>/LC_MESSAGES/safety.po` (created when missing);
the default domain is `haven`. Each feature keeps its texts in its own domain file.

It needs Babel, so run it with the project's virtual environment. Keys are kept sorted
so diffs stay small. Run `python3 scripts/dev.py test` afterwards:
the i18n tests check that every key has all three languages and matching placeholders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

LOCALES = ("en", "nl", "fr")
ROOT = Path(__file__).resolve().parent.parent / "bot" / "locale"


def main(argv: list[str]) -> int:
    """Apply KEY EN NL FR quadruples to the catalogues."""
    domain = "haven"
    if argv[:1] == ["--domain"] and len(argv) > 1:
        domain, argv = argv[1], argv[2:]
    if not argv or len(argv) % 4:
        print(__doc__)
        return 2
    entries = [argv[i : i + 4] for i in range(0, len(argv), 4)]
    for index, locale in enumerate(LOCALES, start=1):
        path = ROOT / locale / "LC_MESSAGES" / f"{domain}.po"
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, domain=domain, project="Haven")
        for entry in entries:
            catalog.delete(entry[0])
            catalog.add(entry[0], entry[index])
        catalog._messages = dict(sorted(catalog._messages.items()))  # keep keys sorted
        with path.open("wb") as fh:
            write_po(fh, catalog, width=99)
    print(f"updated {len(entries)} key(s) in {', '.join(LOCALES)} ({domain}.po)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
