"""The Shapes table at 80 columns (issue 13 item 12): its headers stay apart over narrow numbers."""

from __future__ import annotations

import pytest

from tests.ui.conftest import new_app, run, wait_until
from tui_dl.app.widgets.summary_table import SummaryTable


@pytest.mark.parametrize("preset", ["tests/ui/data/fnn_2_3_1.yaml", "tests/ui/data/lenet5.yaml"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_headers_are_separate_words(runs_dir, preset, size):
    async def body():
        app = new_app(preset, runs_dir=runs_dir)
        async with app.run_test(size=size) as pilot:
            await wait_until(pilot, lambda: app.train_view and app.runs_view)
            await pilot.pause()
            table = app.query_one(SummaryTable)
            header = "".join(seg.text for seg in table.render_line(0))
            assert header.split() == ["#", "Layer", "Output", "Params", "Mult-adds"], header
            # each header starts over its column: the row under it has its value there
            row = "".join(seg.text for seg in table.render_line(2))
            at = header.index("Output")
            assert row[at - 1] == " " and row[at] != " ", (header, row)
            # and after a resize across the 100-column line the headers follow the cells
            await pilot.resize_terminal(200 - size[0], size[1])
            await pilot.pause(0.3)
            header = "".join(seg.text for seg in table.render_line(0))
            assert header.split() == ["#", "Layer", "Output", "Params", "Mult-adds"], header
    run(body())
