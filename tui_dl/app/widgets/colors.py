"""Theme colours for Rich text (DataTable and OptionList cells are Rich renderables)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Palette:
    error: str
    warning: str
    success: str
    accent: str
    primary: str
    muted: str
    dark: bool


def palette(app) -> Palette:
    theme = app.current_theme
    return Palette(error=theme.error or "red", warning=theme.warning or "yellow", success=theme.success or "green",
                   accent=theme.accent or "cyan", primary=theme.primary or "blue",
                   muted="grey50" if theme.dark else "grey46", dark=theme.dark)
