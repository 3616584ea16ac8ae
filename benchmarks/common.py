"""Shared helpers: machine description, a measure of other processes' CPU use, statistics."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time


def machine_info() -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor()
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_gib = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    info = {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(), "cpu": cpu, "mem_gib": mem_gib, "python": platform.python_version(),
            "platform": platform.platform()}
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("torch", "torchvision", "textual"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    info["torch_default_threads"] = default_torch_threads()
    return info


def default_torch_threads() -> int:
    """The intra-op thread count a fresh torch process starts with (what a course student's loop gets), without
    importing torch here: torch's default is the number of usable cores unless OMP_NUM_THREADS says otherwise."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float | None:
    """CPU seconds all processes on the machine have spent busy (from /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()
    except OSError:
        return None
    vals = [int(v) for v in parts[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    busy = sum(vals[:8]) - idle                         # user nice system idle iowait irq softirq steal
    return busy / _HZ


def _own_seconds() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class ForeignLoad:
    """How many cores *other* processes kept busy while the ``with`` block ran (machine busy − our own CPU)."""

    def __enter__(self):
        self.t0, self.b0, self.o0 = time.perf_counter(), _busy_seconds(), _own_seconds()
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.t0
        b1, o1 = _busy_seconds(), _own_seconds()
        if self.b0 is None or b1 is None or wall <= 0:
            self.cores = None
        else:
            self.cores = max(0.0, ((b1 - self.b0) - (o1 - self.o0)) / wall)
        return False


def foreign_cores(sample_s: float = 0.5) -> float | None:
    """Cores other processes use right now (sampled over ``sample_s`` while we sleep)."""
    with ForeignLoad() as fl:
        time.sleep(sample_s)
    return fl.cores


def wait_quiet(max_wait_s: float, threshold: float = 0.3, sample_s: float = 0.5) -> float | None:
    """Wait (at most ``max_wait_s``) until other processes use less than ``threshold`` cores; returns the last
    sample. Other engineers' test runs share this machine: a repeat started in a quiet moment is worth more."""
    deadline = time.monotonic() + max_wait_s
    while True:
        c = foreign_cores(sample_s)
        if c is None or c < threshold or time.monotonic() >= deadline:
            return c
        time.sleep(0.5)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def percentile(xs, q: float):
    """The q-th percentile (0-100) with linear interpolation."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = (len(xs) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def maxrss_mib(rusage) -> float:
    """ru_maxrss is in KiB on Linux (bytes on macOS)."""
    v = rusage.ru_maxrss
    return v / 1024 if platform.system() != "Darwin" else v / 2**20
