"""Regenerate the Learn view's screenshots in docs/screenshots/ (one PNG per lab, 100×30, dark theme).

    python -m tests.ui.make_learn_screenshots

Needs ``rsvg-convert`` (librsvg); with Pillow installed the PNGs are cut to a 128-colour palette (small). The
app's SVG is fixed up first: rsvg drops the leading spaces of a text run and draws braille (the plots) from a
fallback font at its own width, so each non-ASCII run is split into one ``<text>`` per cell.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import tempfile
from pathlib import Path

from tests.ui.conftest import wait_until
from tests.ui.learn_pilot import open_learn
from tui_dl.app import make_app
from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.i18n import char_width

OUT = Path("docs/screenshots")
SIZE = (100, 30)


def one_text_per_cell(svg: str) -> str:
    def split(m):
        attrs, body = m.group(1), m.group(2)
        chars = re.findall(r"&#?\w+;|.", body)
        length, x = re.search(r'textLength="([\d.]+)"', attrs), re.search(r'x="([\d.]+)"', attrs)
        if not length or not x or not chars or all(c.isascii() and c != "&#160;" for c in chars):
            return m.group(0)
        # a Chinese character takes two cells: place each character at its cell, not at its index
        cells = [1 if c.startswith("&") else char_width(c) for c in chars]
        width, x0 = float(length.group(1)) / max(1, sum(cells)), float(x.group(1))
        base = re.sub(r'\s*textLength="[\d.]+"', "", attrs)
        out, at_cell = [], 0
        for c, w in zip(chars, cells):
            if c not in ("&#160;", " "):
                at = re.sub(r'x="[\d.]+"', f'x="{x0 + at_cell * width:.1f}"', base, count=1)
                out.append(f"<text{at}>{c}</text>")
            at_cell += w
        return "".join(out)
    return re.sub(r"<text([^>]*)>(.*?)</text>", split, svg)


def to_png(svg_path: Path, png_path: Path) -> None:
    fixed = svg_path.with_suffix(".fixed.svg")
    fixed.write_text(one_text_per_cell(svg_path.read_text(encoding="utf-8")), encoding="utf-8")
    subprocess.run(["rsvg-convert", "-o", str(png_path), str(fixed)], check=True)
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(png_path) as im:
        small = im.convert("RGB").quantize(colors=128)
    small.save(png_path, optimize=True)


async def _shoot(tmp: Path) -> None:
    exp = load_experiment("presets/lenet5.yaml")
    app = make_app(exp, "presets/lenet5.yaml", device_text="CPU (2 cores)")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.train_view and app.runs_view and app.settings_view, timeout=60)
        # (lab, keys pressed in it): each screenshot shows the lab part-way through, as a student sees it
        shots = (("activations", ("left",) * 6), ("softmax", ("plus",)), ("conv", ("right",)),
                 ("pool", ("right",)), ("backprop", ("right",)), ("losses", ()), ("optimizers", ("right",) * 9))
        for lab, keys in shots:
            pane = await open_learn(pilot, lab)
            if lab == "optimizers":
                await wait_until(pilot, lambda: pane.race is not None, timeout=120)
            for key in keys:
                await pilot.press(key)
            await pilot.pause(0.3)
            app.clear_notifications()
            await pilot.pause()
            svg = tmp / f"learn-{lab}.svg"
            app.save_screenshot(str(svg))
            to_png(svg, OUT / f"learn-{lab}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_shoot(Path(tmp)))


if __name__ == "__main__":
    main()
