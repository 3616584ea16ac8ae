"""Where does the UI thread's CPU time go while the app trains?

    python -m benchmarks.explore.ui_profile [--seconds S] [--top N]

cProfile of the UI (main) thread for ``--seconds`` while the app (headless ``run_test``) trains LeNet-5; the
cumulative top entries of tui-dl, the plots, the compositor, the log and message dispatch.

Finding (README, "The app never waits for torch, and does little while training"; benchmarks/RESULTS.md): what
followed is an app that does little while training: the plots are redrawn once a second from downsampled
series (a render on the UI thread takes 12.1 / 17.2 / 18.2 ms, p50/p95/max), progress is shown at most every
0.25 s and the log gets at most one step line a second.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile

from benchmarks.app_bench import _bench_trainer, _wait
from benchmarks.explore.app_setup import lenet_and_data


async def _profile_ui(exp, data, seconds: float):
    from tui_dl.app import make_app

    sink: dict = {}
    app = make_app(exp, runs_dir=tempfile.mkdtemp(prefix="tui-dl-bench-prof-"), device_text="CPU (benchmark)",
                   datasets={}, trainer=_bench_trainer(exp, data, epochs=50, limit_batches=None, log_every=10,
                                                       sink=sink))
    prof = cProfile.Profile()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        await _wait(lambda: "clock" in sink and len(sink["clock"].stamps) >= 2, 120)
        prof.enable()   # cProfile follows this (the UI) thread only
        await asyncio.sleep(seconds)
        prof.disable()
        await pilot.press("ctrl+r")
        await _wait(lambda: not app.is_training, 30)
    return prof


def run(a):
    exp, data = lenet_and_data()
    prof = asyncio.run(_profile_ui(exp, data, a.seconds))
    st = pstats.Stats(prof)
    st.sort_stats("cumulative").print_stats(r"tui_dl|textual_plotext|plotext/_figure|_compositor.py.*render|"
                                            r"widgets/log.py|message_pump.py.*_dispatch_message", a.top * 5)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.ui_profile")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--top", type=int, default=6)
    run(p.parse_args(argv))


if __name__ == "__main__":
    main()
