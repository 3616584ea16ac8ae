"""Which UI-side settings keep key presses fast while the app trains?

    python -m benchmarks.explore.key_latency_variants [--repeats N] [--presses N]

Key latency in the app (headless ``run_test``, a key every 50 ms) during LeNet-5 training, with a few settings
changed in this process only (never in the files): the plot redraw interval, the status-bar progress rate, the
GIL switch interval the trainer sets (``UI_SWITCH_INTERVAL``); rotating order, p50/p95/max of key → screen
refreshed, and the training img/s meanwhile.

Finding (README, "Threads" and "The app never waits for torch"; tui_dl/core/training/loop.py): the app now
redraws its plots once a second and shows progress at most every 0.25 s; the trainer lowers the GIL switch
interval to 1 ms while the app trains (793 img/s at Python's default 5 ms beside a busy UI thread, 1,510 img/s
at 1 ms). Key press → screen refreshed during training: 2.9 / 19.9 / 74.5 ms (p50/p95/max, RESULTS.md).
"""

from __future__ import annotations

import argparse
import statistics

from benchmarks.app_bench import key_latency
from benchmarks.explore.app_setup import lenet_and_data


def _patched(plot_interval=None, progress_every=None, flush_every=None, switch=None):
    """Patch this process's app modules (never the files): plot redraw interval, status-bar progress rate,
    step-event batching. Returns an undo function."""
    import functools

    import tui_dl.app.app as A
    import tui_dl.app.train_controller as TC

    undo = []
    if switch is not None:
        import tui_dl.core.training.engine as T

        old_switch = T.UI_SWITCH_INTERVAL
        T.UI_SWITCH_INTERVAL = switch
        undo.append(lambda: setattr(T, "UI_SWITCH_INTERVAL", old_switch))
    if plot_interval is not None:
        old = A.PLOT_INTERVAL
        A.PLOT_INTERVAL = plot_interval
        undo.append(lambda: setattr(A, "PLOT_INTERVAL", old))
    if progress_every is not None or flush_every is not None:
        orig = TC.pump_events
        kw = {k: v for k, v in (("progress_every", progress_every), ("flush_every", flush_every)) if v is not None}
        TC.pump_events = functools.partial(orig, **kw)
        undo.append(lambda: setattr(TC, "pump_events", orig))
    return lambda: [u() for u in reversed(undo)]


KEY_VARIANTS = {
    "as is": {},
    "plots every 1 s": {"plot_interval": 1.0},
    "progress every 0.25 s": {"progress_every": 0.25},
    "plots every 1 s + progress every 0.25 s": {"plot_interval": 1.0, "progress_every": 0.25},
    "GIL switch interval 0.2 ms": {"switch": 0.0002},
    "GIL switch 0.2 ms + plots 1 s + progress 0.25 s": {"switch": 0.0002, "plot_interval": 1.0,
                                                        "progress_every": 0.25},
}


def run(a):
    """Key latency in the app during training with a few UI-side settings changed (in this process only),
    rotating order; p95 and max of key → screen refreshed, and training img/s meanwhile."""
    exp, data = lenet_and_data()
    names = list(KEY_VARIANTS)
    res = {n: [] for n in names}
    for r in range(a.repeats):
        for n in names[r % len(names):] + names[:r % len(names)]:
            undo = _patched(**KEY_VARIANTS[n])
            try:
                k = key_latency(exp, data, presses=a.presses, interval=0.05)
            finally:
                undo()
            res[n].append(k)
    print(f"key press → screen refreshed during LeNet-5 training, {a.presses} presses every 50 ms, {a.repeats} "
          f"rotating repeats (median over repeats):")
    for n in names:
        ks = res[n]
        med = lambda f: statistics.median(f(k) for k in ks)  # noqa: E731
        print(f"  {n:<48} p50 {med(lambda k: k['refresh_ms']['p50']):5.1f}  p95 "
              f"{med(lambda k: k['refresh_ms']['p95']):5.1f}  max {med(lambda k: k['refresh_ms']['max']):6.1f} ms; "
              f"{med(lambda k: k['steps_during']) * 64 / (a.presses * 0.05):,.0f} img/s meanwhile")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.key_latency_variants")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--presses", type=int, default=200)
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
