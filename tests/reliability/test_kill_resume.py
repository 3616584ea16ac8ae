"""kill -9 at chosen points of short runs, then --resume: no epoch is lost, none is doubled, and the resumed run
ends with exactly the numbers of a run that was never killed.

The runs are forked from this process (torch is already imported, so a kill costs milliseconds, not an
interpreter start) and SIGKILL themselves at the point under test: right after a checkpoint is written, between
an epoch's metrics and its checkpoint, in the middle of an epoch. A run killed by an older tui-dl (checkpoint
first, metrics after) is rebuilt from the checkpoint's history. The random-point version with many cycles is
``python -m benchmarks.faults``.
"""

from __future__ import annotations

import csv
import json
import os
import signal

import pytest

from tests.reliability.helpers import checkpoint_ok, cli, fault, moons_yaml, write
from tests.reliability.test_interruption import same_run

YAML = moons_yaml("epochs: 4, log_every: 5")


def killed_run(run_dir, exp, kill_when) -> None:
    """Fork; the child trains ``exp`` into ``run_dir`` and SIGKILLs itself when ``kill_when(kind, n)`` is true
    (``kind`` "save" after the n-th checkpoint write, "epoch" after the n-th epoch row, "step" after the n-th
    step row). The parent waits and checks the child was killed."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        rc = 99
        try:
            import tui_dl.core.training.loop as T
            from tui_dl.core.runs.folder import RunWriter

            counts = {"save": 0, "epoch": 0, "step": 0, "started": 0}

            def hit(kind):
                counts[kind] += 1
                if kill_when(kind, counts[kind]):
                    os.kill(os.getpid(), signal.SIGKILL)

            real_save, real_log = T.atomic_save, RunWriter.log

            def save(obj, path):
                out = real_save(obj, path)
                hit("save")
                return out

            def log(self, event, **kw):
                real_log(self, event, **kw)
                if getattr(event, "kind", "") in ("epoch", "step", "started"):
                    hit(event.kind)

            T.atomic_save = save
            RunWriter.log = log
            from tui_dl.cli.main import main

            rc = main(["--batch", str(exp), "--out", str(run_dir), "--quiet"])
        finally:
            os._exit(rc)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the run was not killed"
    fault("kill -9 of a training run, then --resume")


def epochs_in(run_dir) -> tuple[list[int], list[int]]:
    jl = [json.loads(x)["epoch"] for x in (run_dir / "metrics.jsonl").read_text().splitlines()
          if x.strip() and json.loads(x)["event"] == "epoch"]
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.reader(f))[1:]
    return jl, [int(r[0]) for r in rows]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("killref")
    exp = write(d / "exp.yaml", YAML)
    rc, _, err = cli("--batch", exp, "--out", d / "ref", "--quiet")
    assert rc == 0, err
    return exp, d / "ref"


def resume_and_compare(run, reference) -> None:
    checkpoint_ok(run)
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    assert epochs_in(run) == ([1, 2, 3, 4], [1, 2, 3, 4])
    same_run(run, reference)


# saves: 1 = the initial weights, then per epoch best.pt (when best) and last.pt
@pytest.mark.parametrize("where, kill_when", [
    ("right after a checkpoint write", lambda kind, n: kind == "save" and n == 4),
    ("between an epoch's metrics and its checkpoint", lambda kind, n: kind == "epoch" and n == 2),
    ("in the middle of an epoch", lambda kind, n: kind == "step" and n == 9),
], ids=["after-checkpoint", "before-checkpoint", "mid-epoch"])
def test_kill_9_then_resume_loses_no_epoch_and_matches_an_unkilled_run(where, kill_when, reference, tmp_path):
    exp, ref = reference
    run = tmp_path / "run"
    killed_run(run, exp, kill_when)
    resume_and_compare(run, ref)


def test_rows_a_killed_run_never_wrote_are_restored_from_the_checkpoint(reference, tmp_path):
    """What an older tui-dl left (the checkpoint of epoch 2 on disk, its metrics rows not): resume writes them
    back from the checkpoint's history, then goes on at epoch 3."""
    exp, ref = reference
    run = tmp_path / "run"
    killed_run(run, exp, lambda kind, n: kind == "epoch" and n == 3)  # killed after epoch 3's row
    ck = checkpoint_ok(run)
    assert ck["epochs_completed"] == 2
    # take away epoch 2's rows, as the old order (checkpoint first) would have lost them
    lines = (run / "metrics.jsonl").read_text().splitlines(keepends=True)
    (run / "metrics.jsonl").write_text("".join(x for x in lines if not (json.loads(x)["event"] == "epoch"
                                                                        and json.loads(x)["epoch"] >= 2)))
    rows = (run / "metrics.csv").read_text().splitlines(keepends=True)
    (run / "metrics.csv").write_text("".join(r for r in rows if not r.startswith(("2,", "3,"))))
    assert epochs_in(run) == ([1], [1])
    fault("metrics rows missing behind a checkpoint")
    resume_and_compare(run, ref)


def test_a_kill_before_the_first_checkpoint_says_to_start_again_and_that_works(reference, tmp_path):
    exp, ref = reference
    run = tmp_path / "run"
    killed_run(run, exp, lambda kind, n: kind == "started")  # before the initial weights are saved
    rc, _, err = cli("--batch", "--resume", run)
    assert rc == 2 and "its run stopped before the first checkpoint was written" in err, err
    advice = err.split("Start it again: tui-dl ")[1].split()
    rc, out, err = cli(*advice, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    same_run(run, ref)
