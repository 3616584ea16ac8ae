"""Reliability suite: one torch thread for in-process training, and a tally of injected faults at the end."""

from __future__ import annotations

import pytest

from tests.reliability.helpers import FAULTS, OUTCOMES


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """In-process runs use train.threads: 1 anyway; this keeps evaluation code in the tests on one thread too
    (two OpenMP threads on a busy 2-core CI machine spin and make small ops several times slower)."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FAULTS:
        return
    tr = terminalreporter
    tr.section("reliability: faults injected")
    for kind, n in sorted(FAULTS.items()):
        tr.write_line(f"  {n:5d}  {kind}")
    tr.write_line(f"  {sum(FAULTS.values()):5d}  total; tracebacks seen: {OUTCOMES['tracebacks']}, "
                  f"runs lost: {OUTCOMES['runs_lost']}")
