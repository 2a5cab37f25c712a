"""`python -m bot` runs the `haven` command."""

from __future__ import annotations

from bot.cli import main

raise SystemExit(main())
