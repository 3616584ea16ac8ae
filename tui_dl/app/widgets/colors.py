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


#: Curve colours of compared runs (the shown run is drawn in the theme's primary colour), one list per theme: the
#: dark theme's are light, the light theme's dark, each clear of the other curves and of the plot's background.
RUN_COLORS_DARK = ((255, 166, 43), (78, 191, 113), (235, 95, 120), (190, 125, 255), (255, 140, 200),
                   (235, 225, 110), (80, 210, 220))
RUN_COLORS_LIGHT = ((185, 85, 0), (0, 120, 50), (175, 20, 55), (110, 45, 185), (165, 0, 115), (115, 95, 0),
                    (0, 130, 140))


def run_colors(dark: bool) -> tuple[tuple[int, int, int], ...]:
    return RUN_COLORS_DARK if dark else RUN_COLORS_LIGHT


def overlay_color(index: int, dark: bool) -> tuple[int, int, int]:
    """The colour of the ``index``-th compared run (0-based, in run order; the shown run not counted)."""
    colors = run_colors(dark)
    return colors[index % len(colors)]


def rgb_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)
