"""Regenerate the README's "Inside the model" screenshots from a trained run folder (docs/screenshots/insight-*.png,
via rsvg-convert):

    python -m tests.ui.make_insight_screenshots RUN_FOLDER
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.ui.conftest import new_app, wait_until
from tests.ui.insight_pilot import open_run, settled
from tui_dl.app.screens.attack_screen import AttackScreen
from tui_dl.app.screens.features_screen import FeaturesScreen
from tui_dl.app.screens.gallery_screen import GalleryScreen

OUT = Path("docs/screenshots")
SIZE = (100, 30)


async def _shoot(run_dir: str, name: str, steps) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = new_app(runs_dir=tmp)
        async with app.run_test(size=SIZE) as pilot:
            await open_run(pilot, run_dir)
            await steps(pilot)
            app.clear_notifications()
            await pilot.pause(0.3)
            svg = Path(tmp) / f"{name}.svg"
            app.save_screenshot(str(svg))
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["rsvg-convert", "-o", str(OUT / f"{name}.png"), str(svg)], check=True)
        print(OUT / f"{name}.png")


async def gallery(pilot) -> None:
    app = pilot.app
    await pilot.press("g")
    await wait_until(pilot, lambda: isinstance(app.screen, GalleryScreen))
    await settled(pilot, app.screen, timeout=120)
    await pilot.press("f", "f", "f")  # the most confident mistakes
    await settled(pilot, app.screen)


async def features(pilot) -> None:
    app = pilot.app
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(app.screen, FeaturesScreen))
    await settled(pilot, app.screen, timeout=120)


async def fgsm(pilot) -> None:
    app = pilot.app
    await pilot.press("a")
    await wait_until(pilot, lambda: isinstance(app.screen, AttackScreen))
    await settled(pilot, app.screen, timeout=120)
    await pilot.press("r")
    await settled(pilot, app.screen, "sweeping", timeout=600)
    await pilot.press("left", "left", "left", "left", "left")  # ε = 0.05
    await settled(pilot, app.screen)


def main(argv: list[str]) -> None:
    run_dir = argv[0]
    for name, steps in (("insight-gallery", gallery), ("insight-features", features), ("insight-fgsm", fgsm)):
        asyncio.run(_shoot(run_dir, name, steps))


if __name__ == "__main__":
    main(sys.argv[1:])
