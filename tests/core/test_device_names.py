"""A device badge is stored in English (run records, summary.json) and shown in the language spoken now."""

from __future__ import annotations

import pytest

from tui_dl.core import i18n
from tui_dl.core.device_names import device_text


def test_english_badges_are_shown_as_stored():
    i18n.set_language("en")
    for name in ("CPU (2 cores, 2 threads)", "CPU (1 core, 1 thread)", "NVIDIA H100 80GB HBM3 (79.2 GiB)",
                 "Apple GPU (MPS)", ""):
        assert device_text(name) == name


@pytest.mark.parametrize("name, shown", [
    ("CPU (2 cores, 2 threads)", "CPU（2 核，2 线程）"),
    ("CPU (16 cores, 1 thread)", "CPU（16 核，1 线程）"),
    ("Apple GPU (MPS)", "Apple GPU（MPS）"),
    ("NVIDIA H100 80GB HBM3 (79.2 GiB)", "NVIDIA H100 80GB HBM3 (79.2 GiB)"),  # a product name stays
    ("CPU (2 cores)", "CPU (2 cores)"),  # not a badge describe_device writes: left as it is
])
def test_chinese_badges(chinese, name, shown):
    i18n.set_language("zh_CN")
    assert device_text(name) == shown


def test_the_badge_matches_what_describe_device_writes():
    """The pattern follows core/device.py: a change there that device_text no longer reads fails here."""
    torch = pytest.importorskip("torch")
    from tui_dl.core.device import describe_device

    i18n.set_language("en")
    badge = describe_device(torch.device("cpu"), threads=3)
    try:
        i18n.set_language("zh_CN")
        assert device_text(badge).startswith("CPU（") and "3 线程" in device_text(badge), badge
    finally:
        i18n.set_language("en")


def test_the_app_log_and_the_runs_table_show_it_translated(chinese):
    from tui_dl.app.logfmt import format_event
    from tui_dl.cli.runs import cell
    from tui_dl.core.training.events import RunStarted

    i18n.set_language("zh_CN")
    ev = RunStarted(name="n", run_dir="r", device="cpu", device_name="CPU (2 cores, 2 threads)", dataset="d",
                    train_size=1, val_size=0, test_size=1, epochs=1, steps_per_epoch=1, params=1, threads=2)
    assert any("CPU（2 核，2 线程）" in line for line in format_event(ev))
    assert cell("device", "CPU (4 cores, 4 threads)") == "CPU（4 核，4 线程）"
