"""The "inside the model" screens on a real trained run (the session's ``insight_run``): the gallery and its
filters, a confusion-matrix cell opening the gallery on its images, what the network sees, the FGSM screen with
ε on the keys and the accuracy against ε (with cancelling), and the half-block cells of a known tiny image."""

from __future__ import annotations

import pytest
from rich.style import Style

from tests.ui.conftest import new_app, run, wait_until
from tests.ui.insight_pilot import grid_text, open_run, settled
from tui_dl.app.insight_records import FilterSpec
from tui_dl.app.screens.attack_screen import AttackScreen
from tui_dl.app.screens.features_screen import FeaturesScreen
from tui_dl.app.screens.gallery_screen import GalleryScreen
from tui_dl.app.widgets.picture import Tile, TileGrid, grid_lines, picture_lines
from tui_dl.app.widgets.results import ResultPanel
from tui_dl.core.insight.attack_settings import CONVENTION


@pytest.fixture(scope="module")
def core(insight_run):
    """The core's own answers for the run, to check what the screens show."""
    from tui_dl.core.insight.gallery import predictions
    from tui_dl.core.insight.model_io import load_trained

    from tui_dl.app.insight_controller import _Loaded

    trained = load_trained(insight_run[0])
    preds = predictions(trained)
    _Loaded.put(trained, preds)  # the app opens this copy instead of reading the run again (3 s each test)
    return trained, preds


# ----------------------------------------------------------------------------- the pictures themselves
def test_a_gallery_tile_draws_a_known_tiny_image_as_half_blocks():
    tile = Tile([[0, 255], [128, 64]], 2, [])
    (line,) = picture_lines(tile.pixels, 2)
    assert line.plain == "▀▀"
    spans = [(line.plain[s.start:s.end], Style.parse(str(s.style))) for s in line.spans]
    assert [(ch, st.color.name, st.bgcolor.name) for ch, st in spans] == [("▀", "#000000", "#808080"),
                                                                        ("▀", "#ffffff", "#404040")]
    # without truecolour: the nearest greys of the 256-colour ramp (128 → 128, 64 → 68); without colour: shades
    (line256,) = picture_lines(tile.pixels, 2, "256")
    assert [Style.parse(str(s.style)).bgcolor.name for s in line256.spans] == ["#808080", "#444444"]
    assert [t.plain for t in picture_lines([[0, 255], [0, 255]], 2, "none")] == [" @"]
    # in a grid the caption goes under the picture and the chosen tile's caption is reversed
    from rich.text import Text
    lines = grid_lines([Tile([[0, 255], [128, 64]], 2, [Text("#0")]), Tile([[9, 9], [9, 9]], 2, [Text("#1")])],
                       20, cursor=1)
    assert [ln.plain for ln in lines] == ["▀▀  ▀▀", "#0  #1"]
    assert any("reverse" in str(s.style) for s in lines[1].spans if lines[1].plain[s.start:s.end] == "#1")


# ----------------------------------------------------------------------------- the gallery
def test_the_gallery_shows_the_test_images_and_each_filter_changes_them(insight_run, core, runs_dir):
    run_dir, _ = insight_run
    trained, preds = core

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            await pilot.press("g")  # from the Train view
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            screen = app.screen
            await settled(pilot, screen)
            assert screen.page.total == 600 and [e.index for e in screen.entries[:5]] == [0, 1, 2, 3, 4]
            first = screen.entries[0]
            assert (first.true, first.predicted) == (int(preds.y[0]), int(preds.pred[0]))
            grid = screen.query_one("#gallery-grid", TileGrid)
            # the first tile is the first test image as half blocks, 14 cells across (five fit in 80 columns)
            from tui_dl.core.insight.gallery import image_rows
            from tui_dl.core.pictures import half_blocks
            cells = half_blocks(image_rows(trained.test.x[0]), 14)
            assert grid.tiles[0].width == 14 and len(grid.tiles[0].lines("truecolor")) == len(cells) == 7
            assert grid.tiles[0].lines("truecolor")[3].plain == "▀" * 14
            assert f"#{first.index} {first.true_name}" in grid_text(grid)

            await pilot.press("f")  # by true class (class 0)
            await settled(pilot, screen)
            assert screen.flt.kind == "class" and screen.entries
            assert all(e.true == 0 for e in screen.entries) and screen.page.total == int((preds.y == 0).sum())
            await pilot.press("c")  # the next class
            await settled(pilot, screen)
            assert screen.flt.true_class == 1 and all(e.true == 1 for e in screen.entries)

            await pilot.press("f")  # the mistakes
            await settled(pilot, screen)
            wrong = [int(i) for i in (preds.pred != preds.y).nonzero().flatten()]
            assert screen.flt.kind == "wrong" and [e.index for e in screen.entries] == wrong[:60]
            assert all(not e.correct for e in screen.entries) and "✗" in grid_text(grid)

            await pilot.press("f")  # the most confident mistakes first
            await settled(pilot, screen)
            confs = [e.confidence for e in screen.entries]
            assert screen.flt.kind == "confident-wrong" and confs == sorted(confs, reverse=True)
            assert "most confident mistakes" in str(screen.query_one("#gallery-head").render())

            await pilot.press("s")  # large pictures: 28 cells across
            assert screen.query_one("#gallery-grid", TileGrid).tiles[0].width == 28
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, GalleryScreen))

    run(body())


def test_a_confusion_matrix_cell_opens_the_gallery_on_its_images(insight_run, core, runs_dir):
    run_dir, finished = insight_run
    _, preds = core
    cm = preds.confusion()
    assert cm == finished.confusion  # the Train view's matrix is the one the gallery filters
    r, c = max(((i, j) for i in range(10) for j in range(10) if i != j), key=lambda t: (cm[t[0]][t[1]], -t[0]))
    assert cm[r][c] > 0

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(120, 40)) as pilot:
            await open_run(pilot, run_dir)
            panel = app.query_one(ResultPanel)
            await wait_until(pilot, lambda: panel.grid_shown)
            app.query_one("#result-box").focus()
            await pilot.press("enter")  # the cursor on the first cell
            assert panel.cell == (0, 0)
            for _ in range(r):
                await pilot.press("down")
            for _ in range(c):
                await pilot.press("right")
            assert panel.cell == (r, c)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            screen = app.screen
            await settled(pilot, screen)
            assert screen.flt == FilterSpec("cell", r, c) and screen.page.total == cm[r][c]
            assert {(e.true, e.predicted) for e in screen.entries} == {(r, c)}
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, GalleryScreen))
            # a click on a cell does the same
            top, label_w, cell_w, _n = panel._grid_at
            await pilot.click(ResultPanel, offset=(label_w + c * cell_w + 1, top + r))
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            assert app.screen.flt == FilterSpec("cell", r, c)

    run(body())


def test_an_opened_best_pt_is_the_checkpoint_looked_inside(insight_run, runs_dir):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir / "best.pt")
            await pilot.press("g")
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            await settled(pilot, app.screen)
            assert "(best.pt)" in app.screen.page.source and app.screen.source.name == "best.pt"

    run(body())


def test_a_run_without_images_says_so_on_the_screen(tmp_path, runs_dir):
    from tui_dl.core.config.experiment import experiment_from_data
    from tui_dl.core.training.loop import iter_training

    exp = experiment_from_data({"name": "m", "input": [2], "layers": [{"type": "Linear", "out_features": 2}],
                                "data": {"name": "moons", "num_samples": 200},
                                "train": {"epochs": 1, "threads": 1}}, "test")
    list(iter_training(exp, run_dir=tmp_path / "moons"))

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_run(pilot, tmp_path / "moons")
            await pilot.press("g")
            await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
            await settled(pilot, app.screen)
            status = str(app.screen.query_one("#gallery-status").render())
            assert "not images" in status and "moons" in status and app.screen.page is None

    run(body())


def test_no_finished_run_means_a_message_not_a_screen(runs_dir):
    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.train_view)
            app.action_show_view("train")
            await pilot.pause()
            await pilot.press("a")
            await pilot.pause()
            assert not isinstance(app.screen, AttackScreen)
            assert any("No run yet" in n.message for n in app._notifications)

    run(body())


# ----------------------------------------------------------------------------- what the network sees
def test_what_the_network_sees(insight_run, core, runs_dir):
    run_dir, _ = insight_run
    trained, preds = core

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("features", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, FeaturesScreen))
            screen = app.screen
            await settled(pilot, screen)
            rec = screen.record
            assert [len(g.maps) for g in rec.layers] == [6, 16] and len(rec.filters.maps) == 6
            assert len(rec.layers[0].maps[0]) == 28 and len(rec.layers[1].maps[0]) == 10  # 6×28×28, 16×10×10
            assert rec.predicted == int(preds.pred[0]) and abs(sum(p for _, p in rec.ranked) - 1) < 1e-4
            bars = str(screen.query_one("#features-bars").render())
            assert "█" in bars and f"{100 * rec.ranked[0][1]:.1f}%" in bars
            grids = screen.query("#features-maps TileGrid")
            assert len(grids) == 3  # the filters, then each conv layer's maps
            before = [row[:] for row in rec.layers[0].maps[0]]
            await pilot.press("n")
            await settled(pilot, screen)
            assert screen.record.index == 1 and screen.record.layers[0].maps[0] != before
            await pilot.press("r")  # one grey range per layer
            await settled(pilot, screen)
            assert screen.shared_range and "one range per layer" in str(screen.query_one("#features-head").render())

    run(body())


# ----------------------------------------------------------------------------- the attack
def test_the_fgsm_screen_moves_eps_and_shows_both_predictions(insight_run, core, runs_dir):
    run_dir, _ = insight_run

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            await pilot.press("a")
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            assert screen.record.settings.eps == 0.1 and screen.record.index == 0
            assert CONVENTION in str(screen.query_one("#attack-convention").render())
            await pilot.press("right", "right", "shift+right")
            assert screen.settings.eps == 0.17
            await settled(pilot, screen)
            rec = screen.record
            assert rec.settings.eps == 0.17 and "ε/σ = 0.56" in str(screen.query_one("#attack-head").render())
            text = grid_text(screen.query_one("#attack-pictures", TileGrid))
            assert "original" in text and "adversarial" in text and f"said {rec.after_name}" in text
            info = str(screen.query_one("#attack-info").render())
            assert "smallest ε that flips it" in info and rec.cut_pixels > 0
            await pilot.press(*["shift+left"] * 4)
            assert screen.settings.eps == 0.0  # at least 0
            await pilot.press(*["shift+right"] * 7)
            assert screen.settings.eps == 0.3  # at most 0.3
            await pilot.press("m", "t")
            await settled(pilot, screen)
            assert screen.record.settings.method == "pgd" and screen.record.settings.target == 0
            assert "make it say 0" in str(screen.query_one("#attack-head").render())

    run(body())


def test_accuracy_against_eps_runs_on_a_worker_and_can_be_cancelled(insight_run, core, runs_dir):
    run_dir, _ = insight_run
    _, preds = core

    async def body():
        app = new_app(runs_dir=runs_dir)
        async with app.run_test(size=(100, 30)) as pilot:
            await open_run(pilot, run_dir)
            app.insight.open("attack", run_dir, index=0)
            await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
            screen = app.screen
            await settled(pilot, screen)
            screen.action_run_curve()  # r, then esc before the first batch: cancelled, no curve, the screen stays
            assert screen.sweeping
            screen.action_back()
            assert not screen.sweeping and app.screen is screen
            await pilot.pause(0.5)
            assert screen.curve is None
            await pilot.press("r")
            await settled(pilot, screen, "sweeping")
            assert screen.progress_done == (2, 2)  # the bar followed the batches (600 images, 500 a batch)
            assert not screen.query_one("#attack-progress-row").has_class("-running")
            c = screen.curve
            assert c.eps == [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3] and c.n == 600
            assert c.accuracy[0] == pytest.approx(preds.accuracy)  # ε = 0 is the clean accuracy
            assert c.accuracy[-1] < c.accuracy[0]
            k = 2  # ε = 0.1, the slider's
            assert c.examples[k] and all(e.after_name != e.true_name for e in c.examples[k])
            title = str(screen.query_one("#attack-examples-title").render())
            assert f"accuracy {100 * c.accuracy[k]:.1f}%" in title
            assert len(screen.query_one("#attack-examples", TileGrid).tiles) == len(c.examples[k])
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, AttackScreen))

    run(body())
