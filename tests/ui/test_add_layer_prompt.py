"""The add-layer dialog's rows: a long description wraps under itself, not back under the layer's name."""

from __future__ import annotations

from rich.console import Console

from tui_dl.app.widgets.palette import kind_prompt
from tui_dl.core.model.layers import REGISTRY


def test_a_long_description_wraps_in_its_own_column():
    console = Console(width=60, record=True, color_system=None)
    console.print(kind_prompt(REGISTRY["Conv2d"]))
    lines = console.export_text().rstrip("\n").splitlines()
    assert len(lines) >= 2 and lines[0].startswith("  Conv2d ")
    column = lines[0].index("2-D convolution")
    assert all(line[:column].strip() == "" and line[column:column + 1].strip() for line in lines[1:]), lines
