"""How much of the app's start-up is the Setup tab's ~160 widgets?

    python -m benchmarks.explore.startup_lazy_setup [--repeats N]
    python -m benchmarks.explore.startup_lazy_setup --child full|lazy-setup    (one measurement, on stdout)

App start-up (``make_app`` → ready, headless ``run_test``) in fresh processes, as is and with the Setup tab
stubbed out (what composing that tab later, on first visit, would save); rotating order, medians, and the
number of widgets each way. The ``--child`` form is the measured process.

Finding: the Setup view's forms are built in the background, after the app's first frame
(``PREBUILD_AFTER_S`` in ``tui_dl/app/views/settings_view.py``), and the first frame stays under its 1 s
target (0.975 s in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time


def child(mode: str) -> None:
    t_start = time.perf_counter()
    from tui_dl.app import make_app
    from tui_dl.core.config.experiment import load_experiment
    import tui_dl.app.app  # noqa: F401

    if mode == "lazy-setup":
        from tui_dl.app.views import settings_view as SV

        SV.SettingsView.compose = lambda self: iter(())
        SV.SettingsView.show = lambda self, *a, **k: None
        SV.SettingsView.set_probe = lambda self, *a, **k: None
    t_imported = time.perf_counter()
    exp = load_experiment("presets/lenet5.yaml")
    t1 = time.perf_counter()
    app = make_app(exp, "presets/lenet5.yaml", device_text="CPU", datasets={})

    async def run():
        async with app.run_test(size=(120, 40)):
            ready = time.perf_counter()
            widgets = len(list(app.screen.walk_children(with_self=True)))
        return ready, widgets

    ready, widgets = asyncio.run(run())
    print(f"{mode} imports={t_imported - t_start:.4f} ready={ready - t1:.4f} widgets={widgets}")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.startup_lazy_setup")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--child", choices=("full", "lazy-setup"), help="measure once, in this process")
    a = p.parse_args(argv)
    if a.child:
        return child(a.child)
    modes = ["full", "lazy-setup"]
    res = {m: [] for m in modes}
    widgets = {}
    for r in range(a.repeats):
        for m in modes[r % 2:] + modes[:r % 2]:
            out = subprocess.run([sys.executable, "-m", "benchmarks.explore.startup_lazy_setup", "--child", m],
                                 capture_output=True, text=True, check=True).stdout.split()
            kv = dict(x.split("=") for x in out[1:])
            res[m].append(float(kv["ready"]))
            widgets[m] = int(kv["widgets"])
    for m in modes:
        print(f"  {m:<12} make_app → ready {statistics.median(res[m]) * 1e3:6.0f} ms (median of {a.repeats}), "
              f"{widgets[m]} widgets")


if __name__ == "__main__":
    main()
