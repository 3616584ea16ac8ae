"""Helpers for the app's Pilot tests (plain sync tests around ``asyncio.run``; no pytest-asyncio)."""

from __future__ import annotations

import asyncio
import time

import pytest

from tui_dl.app import make_app
from tui_dl.core.config.experiment import load_experiment


def run(coro):
    """Run an async test body."""
    return asyncio.run(coro)


def new_app(preset: str | None = "tests/ui/data/lenet5.yaml", *, runs_dir, trainer=None, overrides=None, **options):
    exp = load_experiment(preset, overrides or []) if preset else None
    options.setdefault("device_text", "CPU (test)")
    options.setdefault("datasets", {})
    return make_app(exp, preset if preset else None, runs_dir=str(runs_dir), trainer=trainer, **options)


async def wait_until(pilot, condition, timeout: float = 20.0, step: float = 0.05) -> None:
    """Let the app run until ``condition()`` holds (fails the test after ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(step)


async def wait_training_done(pilot, timeout: float = 30.0) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: not app.is_training and app.session_runs and
                     not app.session_runs[-1].running, timeout)
    await pilot.pause()


def table_cells(table, column: int) -> list[str]:
    """Plain text of one column of a DataTable, top to bottom."""
    out = []
    for row in range(table.row_count):
        cell = table.get_cell_at((row, column))
        out.append(getattr(cell, "plain", str(cell)).strip())
    return out


@pytest.fixture
def runs_dir(tmp_path):
    return tmp_path / "runs"
