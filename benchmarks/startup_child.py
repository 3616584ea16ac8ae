"""``python -m benchmarks.startup_child full|lazy-setup``: seconds from ``make_app()`` to the app being ready
(first frame composed, headless ``run_test``), printed on stdout. ``lazy-setup`` stubs out the Setup tab's
~160 widgets to show what mounting that tab later (on first visit) would save at start-up."""

from __future__ import annotations

import asyncio
import sys
import time

t_start = time.perf_counter()
from tui_dl.app import make_app  # noqa: E402
from tui_dl.core.config.experiment import load_experiment  # noqa: E402
import tui_dl.app.app  # noqa: E402,F401

mode = sys.argv[1] if len(sys.argv) > 1 else "full"
if mode == "lazy-setup":
    from tui_dl.app.views import settings_view as SV

    SV.SettingsView.compose = lambda self: iter(())
    SV.SettingsView.show = lambda self, *a, **k: None
    SV.SettingsView.set_probe = lambda self, *a, **k: None
t_imported = time.perf_counter()
exp = load_experiment("presets/lenet5.yaml")
t1 = time.perf_counter()
app = make_app(exp, "presets/lenet5.yaml", device_text="CPU", datasets={})


async def main():
    async with app.run_test(size=(120, 40)):
        ready = time.perf_counter()
        widgets = len(list(app.screen.walk_children(with_self=True)))
    return ready, widgets


ready, widgets = asyncio.run(main())
print(f"{mode} imports={t_imported - t_start:.4f} ready={ready - t1:.4f} widgets={widgets}")
