"""Do OpenMP's settings rescue torch's own threads on a shared 2-core machine?

    python -m benchmarks.explore.omp_settings [--model lenet|simplecnn] [--steps N] [--repeats N] [--data IDX]

Runs the engine's step with the batch in one piece (``no-split`` of :mod:`benchmarks.explore.step_variants`)
in child processes, since OpenMP reads its settings once at torch's start-up: 2 threads, 2 threads with
``OMP_WAIT_POLICY=PASSIVE``, 2 threads with ``OMP_PROC_BIND=close``, 1 thread; rotating order, median img/s of
each, with the cores other processes used meanwhile. Run it on a quiet machine and next to a busy one.

Finding (README, "Threads"): no OpenMP setting was adopted. torch's OpenMP threads spin at their barriers, so
two of them next to any other busy thread or program collapse to a fraction of their speed; on 2 to 4 threads
the engine splits the batch into one part per core instead (each on one torch thread), which does not spin.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from benchmarks.common import ForeignLoad
from benchmarks.explore.engine_steps import IDX, PRESETS

OMP_SETTINGS = {
    "2 threads (default)": ({}, 2),
    "2 threads, OMP_WAIT_POLICY=PASSIVE": ({"OMP_WAIT_POLICY": "PASSIVE"}, 2),
    "2 threads, OMP_PROC_BIND=close": ({"OMP_PROC_BIND": "close", "OMP_PLACES": "cores"}, 2),
    "1 thread": ({}, 1),
}


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.explore.omp_settings")
    p.add_argument("--model", default="lenet", choices=tuple(PRESETS))
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--data", default=IDX)
    a = p.parse_args(argv)
    res = {k: [] for k in OMP_SETTINGS}
    loads = []
    names = list(OMP_SETTINGS)
    for r in range(a.repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            env_add, threads = OMP_SETTINGS[name]
            cmd = [sys.executable, "-W", "ignore", "-m", "benchmarks.explore.step_variants", "--only", "no-split",
                   "--repeats", "1", "--steps", str(a.steps), "--threads", str(threads), "--model", a.model,
                   "--data", a.data]
            with ForeignLoad() as fl:
                out = subprocess.run(cmd, env={**os.environ, **env_add}, capture_output=True, text=True,
                                     check=True).stdout
            loads.append(fl.cores)
            line = next(x for x in out.splitlines() if x.strip().startswith("no-split"))
            res[name].append(float(line.split()[1].replace(",", "")))
    base = statistics.median(res[names[0]])
    print(f"{a.model}, {a.steps} steps per child, {a.repeats} rotating repeats; other processes used "
          f"{statistics.median([x for x in loads if x is not None] or [0]):.2f} cores (median):")
    for n in names:
        m = statistics.median(res[n])
        print(f"  {n:<36} {m:9,.0f} img/s  ×{m / base:5.2f}   (all: {', '.join(f'{v:,.0f}' for v in res[n])})")


if __name__ == "__main__":
    main()
