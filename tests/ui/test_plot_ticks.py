"""Y ticks on the rows they name (widgets/plots.py ``row_ticks``): plotext's own 7 ticks on a 6-row plot drop a
label and put the next one a row off its value (σ(0) = 0.5 drawn beside the label 0.67, a loss axis that jumps
from 1.37 to 0.72)."""

from __future__ import annotations

import random
import re

import plotext as plt
import pytest

from tui_dl.app.widgets.plots import plot_rows, row_ticks


def test_every_tick_is_a_row_value_and_the_ends_are_named():
    rng = random.Random(1)
    for rows in range(2, 41):
        lo = rng.uniform(-5, 5)
        hi = lo + rng.choice([0.01, 0.25, 1.0, 3.0, 90.0])
        values, labels = row_ticks(lo, hi, rows)
        per_row = (hi - lo) / (rows - 1)
        ks = [(v - lo) / per_row for v in values]
        assert all(abs(k - round(k)) < 1e-9 for k in ks), (rows, ks)
        assert round(ks[0]) == 0 and round(ks[-1]) == rows - 1  # the bottom and the top row are named
        assert 2 <= len(values) <= 6 and len(set(labels)) == len(labels), (rows, labels)
        if rows > 4:  # never a label on every row of a tall plot
            assert all(round(b - a) >= 1 for a, b in zip(ks, ks[1:]))
            assert sum(1 for a, b in zip(ks, ks[1:]) if round(b - a) == 1) <= 1
    assert row_ticks(1.0, 1.0, 10) is None and row_ticks(0.0, 1.0, 1) is None


@pytest.mark.parametrize("height", [8, 9, 10, 12, 15, 20])
def test_plotext_draws_each_label_on_the_row_of_its_value(height):
    """The sigmoid from -6 to 6: each label's row in plotext's drawing is the row its value falls on."""
    import math

    xs = [x / 10 for x in range(-60, 61)]
    ys = [1 / (1 + math.exp(-x)) for x in xs]
    lo, hi = min(ys), max(ys)
    rows = plot_rows(height, xlabel=False)
    values, labels = row_ticks(lo, hi, rows)
    plt.clear_figure()
    plt.clear_data()
    plt.plotsize(50, height)
    plt.theme("clear")
    plt.plot(xs, ys)
    plt.yticks(values, labels)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", plt.build()).splitlines()
    data_lines = lines[1:1 + rows]  # under the frame's top line, top row first
    assert len(data_lines) == rows
    for value, label in zip(values, labels):
        row_from_top = rows - 1 - round((value - lo) / (hi - lo) * (rows - 1))
        assert data_lines[row_from_top].lstrip().startswith(label + "┤"), (label, row_from_top, data_lines)
    shown = [line.split("┤")[0].strip() for line in data_lines if "┤" in line]
    assert shown == labels[::-1]  # no label dropped, none added
