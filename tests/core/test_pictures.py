"""Half-block pictures (core/pictures.py, plain Python) and their ANSI escapes (cli/ansi.py), against known images."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tui_dl.cli.ansi import RESET, ansi_lines, has_truecolor
from tui_dl.core import pictures as P
from tui_dl.core.pictures import Cell

G = [[0, 255, 0, 255],
     [255, 0, 255, 0],
     [10, 20, 30, 40],
     [50, 60, 70, 80]]


def grey(v):
    return (v, v, v)


def test_a_known_4x4_grey_image_gives_exactly_these_cells():
    cells = P.half_blocks(G)
    assert cells == [
        [Cell("▀", grey(0), grey(255)), Cell("▀", grey(255), grey(0)), Cell("▀", grey(0), grey(255)),
         Cell("▀", grey(255), grey(0))],
        [Cell("▀", grey(10), grey(50)), Cell("▀", grey(20), grey(60)), Cell("▀", grey(30), grey(70)),
         Cell("▀", grey(40), grey(80))],
    ]


def test_an_rgb_image_keeps_its_colours_and_an_odd_last_row_has_no_background():
    img = [[(255, 0, 0), (0, 255, 0)], [(0, 0, 255), (1, 2, 3)], [(9, 8, 7), (4, 5, 6)]]
    assert P.half_blocks(img) == [
        [Cell("▀", (255, 0, 0), (0, 0, 255)), Cell("▀", (0, 255, 0), (1, 2, 3))],
        [Cell("▀", (9, 8, 7), None), Cell("▀", (4, 5, 6), None)],
    ]


def test_downsampling_averages_whole_boxes():
    # 4×4 → 2 across: each output pixel is the mean of a 2×2 block, rounded half up
    assert P.resize(G, 2) == [[grey(128), grey(128)], [grey(35), grey(55)]]
    assert P.half_blocks(G, 2) == [[Cell("▀", grey(128), grey(35)), Cell("▀", grey(128), grey(55))]]


@pytest.mark.parametrize("width,cols,rows", [(None, 28, 14), (28, 28, 14), (14, 14, 7)])
def test_a_28x28_image_is_28x14_or_14x7_cells(width, cols, rows):
    img = [[(r * 28 + c) % 256 for c in range(28)] for r in range(28)]
    cells = P.half_blocks(img, width)
    assert len(cells) == rows and all(len(r) == cols for r in cells)


def test_growing_repeats_pixels():
    assert P.resize([[0, 200], [100, 50]], 4) == [[grey(0)] * 2 + [grey(200)] * 2] * 2 + \
        [[grey(100)] * 2 + [grey(50)] * 2] * 2


def test_ragged_rows_are_refused():
    with pytest.raises(ValueError):
        P.half_blocks([[1, 2], [3]])


def test_the_256_colour_palette_round_trips_and_greys_land_on_the_ramp():
    for i in range(16, 256):
        assert P.xterm256(P.xterm256_rgb(i)) == i
    assert P.xterm256((0, 0, 0)) == 16 and P.xterm256((255, 255, 255)) == 231
    assert P.xterm256((255, 0, 0)) == 196
    assert P.xterm256(grey(128)) == 244 and P.xterm256_rgb(244) == grey(128)
    # every grey level maps to a grey: no tint without truecolour
    for v in range(256):
        r, g, b = P.xterm256_rgb(P.xterm256(grey(v)))
        assert r == g == b and abs(r - v) <= 8


def test_shades_without_colour():
    assert P.shade_rows([[0, 255], [0, 255], [128, 30]]) == [" @", "=."]
    assert P.shade_rows(G) == ["====", "...:"]  # pairs (0,255) → 127.5; (10,50) → 30; (40,80) → 60


def test_numbers_become_grey_levels():
    assert P.grey_levels([[-1.0, 0.0], [1.0, 3.0]]) == [[0, 64], [128, 255]]
    assert P.grey_levels([[2.0, 2.0]]) == [[128, 128]]
    assert P.grey_levels([[0.5, 2.0]], lo=0.0, hi=1.0) == [[128, 255]]
    assert P.grey_levels([[float("nan"), 1.0, 0.0]]) == [[0, 255, 0]]


def test_signs_and_the_clamp_cut():
    signs = [[1, -1, 0], [1, -1, 1]]
    cut = [[False, False, False], [True, True, False]]
    assert P.signs_rgb(signs, cut) == [[P.SIGN_UP, P.SIGN_DOWN, P.SIGN_ZERO],
                                       [P.SIGN_UP_CUT, P.SIGN_DOWN_CUT, P.SIGN_UP]]
    assert P.sign_chars(signs, cut) == ["+-+"]  # a cut step does not count; 0 above +1 is +
    assert P.sign_chars([[0, 1], [0, -1]], [[True, False], [False, False]]) == ["· "]
    # the dim shades survive without truecolour (they are colours of the cube, not greys)
    for c in (P.SIGN_UP_CUT, P.SIGN_DOWN_CUT):
        assert P.xterm256_rgb(P.xterm256(c)) == c


def test_pictures_side_by_side():
    a = P.half_blocks([[0, 0], [0, 0]])
    b = P.half_blocks([[9], [9], [9], [9]])
    grid = P.side_by_side([a, b], gap=1)
    blank = Cell(" ", None, None)
    assert len(grid) == 2 and [len(r) for r in grid] == [4, 4]
    assert grid[0][2] == blank and grid[1][0] == blank and grid[1][3] == Cell("▀", grey(9), grey(9))


def test_ansi_escapes_from_cells():
    cells = [[Cell("▀", (1, 2, 3), (4, 5, 6)), Cell("▀", (1, 2, 3), (4, 5, 6)), Cell("▀", (7, 8, 9), None)]]
    assert ansi_lines(cells, truecolor=True) == [
        "\x1b[38;2;1;2;3m\x1b[48;2;4;5;6m▀▀\x1b[38;2;7;8;9m\x1b[49m▀" + RESET]
    assert ansi_lines([[Cell("▀", (255, 0, 0), grey(128))]], truecolor=False) == [
        "\x1b[38;5;196m\x1b[48;5;244m▀" + RESET]
    assert has_truecolor({"COLORTERM": "truecolor"}) and has_truecolor({"COLORTERM": "24bit"})
    assert not has_truecolor({}) and not has_truecolor({"COLORTERM": "yes"})


def test_pictures_load_no_torch_and_no_ui_library():
    code = ("import tui_dl.core.pictures, tui_dl.cli.ansi, tui_dl.core.insight.attack_settings, sys, json;"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}
    assert not mods & {"torch", "textual", "rich", "plotext"}
