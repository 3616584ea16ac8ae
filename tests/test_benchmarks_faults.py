"""python -m benchmarks.faults keeps working: one kill/resume run and two fuzzed experiment files (the full run is
minutes; its figures are in the README, "When things go wrong")."""

from __future__ import annotations

import collections
import random


def test_the_fault_benchmark_runs_and_counts(tmp_path):
    import torch

    from benchmarks import faults

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        tally = collections.Counter()
        faults.kill_resume(tmp_path, 1, random.Random(3), tally)
        faults.config_fuzz(tmp_path, 2, random.Random(3), tally)
    finally:
        torch.set_num_threads(threads)
    assert tally["kill -9: runs"] == 1 and tally["configs: tried"] == 2, tally
    assert not [k for k in tally if "traceback" in k or "lost" in k or "differ" in k], tally
