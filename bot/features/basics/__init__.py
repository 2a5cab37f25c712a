"""Basics: help, about, language, ping, and the confirm/cancel answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.features.basics.commands import declare, declare_confirmations

if TYPE_CHECKING:
    from bot.app import Haven


def setup(app: Haven) -> None:
    """Register the basic commands."""
    app.registry.extend(declare(app))
    app.registry.extend(declare_confirmations(app))
