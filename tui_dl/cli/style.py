"""Terminal facts the command-line printers share."""

from __future__ import annotations

import os


def color_for(stream) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and "NO_COLOR" not in os.environ
