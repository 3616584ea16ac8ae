"""`tui-dl --batch FILE --nproc 2` (gloo, CPU) end to end, in subprocesses on 310 synthetic digits (odd split
sizes, so the evaluation shards are uneven and the last global batch does not divide evenly).

Stated tolerances: the 2-rank run's epoch losses equal the single-process run's (same global batch) within a
relative 1e-4 (float additions in another order: measured 1e-6 to 3e-5 after 18 steps), accuracies within one
example; a SIGKILLed rank ends the others and the launcher within KILL_DEADLINE seconds; SIGINT to the launcher
leaves one valid checkpoint and no process within STOP_DEADLINE seconds. Each launch loads torch three times
(launcher, two ranks), about 10-20 s on a shared 2-core machine.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KILL_DEADLINE = 20.0
STOP_DEADLINE = 40.0
LAUNCH_TIMEOUT = 180

pytestmark = pytest.mark.slow

YAML = """\
name: ddp-test
input: [1, 28, 28]
layers:
  - {type: Conv2d, out_channels: 4, kernel_size: 5, padding: 2}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 2}
  - {type: Flatten}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: 310, val_split: 0.1}
train: {epochs: 2, batch_size: 32, threads: 1, optimizer: {name: sgd, lr: 0.05, momentum: 0.9}, log_every: 2}
"""


def _env():
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    for k in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def exp_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("ddp") / "exp.yaml"
    p.write_text(YAML)
    return p


def _launch(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(["timeout", str(LAUNCH_TIMEOUT), sys.executable, "-m", "tui_dl", "--batch", *args],
                            cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _rows(run: Path) -> list[dict[str, str]]:
    with open(run / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def _ppids() -> dict[int, int]:
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
                out[int(d.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return out


def _tree(pid: int) -> list[int]:
    """``pid``'s descendants now (torchrun starts each rank in a session of its own)."""
    pp, found, todo = _ppids(), [], [pid]
    while todo:
        parent = todo.pop()
        kids = [c for c, q in pp.items() if q == parent]
        found += kids
        todo += kids
    return found


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _ranks(launcher_pid: int) -> dict[int, int]:
    """{rank: pid} of the rank processes under the launcher (read from their environment)."""
    out = {}
    for pid in _tree(launcher_pid):
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(kv.startswith(b"TORCHELASTIC_RUN_ID=") for kv in env):
            for kv in env:
                if kv.startswith(b"RANK="):
                    out[int(kv[5:])] = pid
    return out


def _wait_rows(run: Path, n: int, p: subprocess.Popen, limit: float = 150) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if (run / "metrics.csv").exists() and len(_rows(run)) >= n:
            return
        if p.poll() is not None:
            raise AssertionError(f"the run ended early: {p.stdout.read()}")
        time.sleep(0.1)
    raise AssertionError("no epoch row in time")


@pytest.fixture(scope="module")
def two_rank_run(exp_file, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    p = _launch(str(exp_file), "--nproc", "2", "--runs-dir", str(runs), cwd=runs)
    out, _ = p.communicate(timeout=LAUNCH_TIMEOUT + 10)
    assert p.returncode == 0, out
    return runs, out


def test_two_ranks_write_one_run_folder_once(two_rank_run):
    runs, out = two_rank_run
    folders = [d for d in runs.iterdir() if d.is_dir()]
    assert len(folders) == 1, folders
    run = folders[0]
    assert [r["epoch"] for r in _rows(run)] == ["1", "2"]          # each epoch written once, by rank 0
    assert (run / "last.pt").is_file() and (run / "summary.json").is_file()
    assert "launching 2 ranks" in out and "rendezvous 127.0.0.1:" in out
    assert "global batch 32 = 16 per rank" in out
    assert out.count("epoch 1/2") == 1                                 # only rank 0 prints
    log = (run / "ranks" / "rank-1.log").read_text()
    assert "epoch 2/2" in log


def test_a_distributed_run_folder_is_watched_like_any_other(two_rank_run, capsys):
    from tui_dl.cli.watch import watch_main

    runs, _ = two_rank_run
    run = next(d for d in runs.iterdir() if d.is_dir())
    assert watch_main([str(run)]) == 0
    out = capsys.readouterr().out
    assert "epoch 2/2" in out and "test accuracy" in out


def test_two_ranks_equal_one_process_with_the_same_global_batch(two_rank_run, exp_file, tmp_path):
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.training.events import Finished
    from tui_dl.core.training.loop import iter_training

    runs, _ = two_rank_run
    run = next(d for d in runs.iterdir() if d.is_dir())
    events = list(iter_training(load_experiment(str(exp_file)), run_dir=tmp_path / "one"))
    fin = [e for e in events if isinstance(e, Finished)][0]
    one, two = _rows(tmp_path / "one"), _rows(run)
    assert len(one) == len(two) == 2
    for a, b in zip(one, two):
        for k in ("train_loss", "val_loss"):
            assert math.isclose(float(a[k]), float(b[k]), rel_tol=1e-4), (k, a[k], b[k])
        assert abs(float(a["train_accuracy"]) - float(b["train_accuracy"])) <= 1 / 279 + 1e-9   # one example
        assert abs(float(a["val_accuracy"]) - float(b["val_accuracy"])) <= 1 / 31 + 1e-9
    import json

    summary = json.loads((run / "summary.json").read_text())
    n_train, n_val, n_test = summary["train_size"], summary["val_size"], summary["test_size"]
    assert n_val % 2 == 1 or n_test % 2 == 1 or n_train % 32 % 2 == 1  # some shard is uneven
    assert abs(summary["test_accuracy"] - fin.test_accuracy) <= 1 / n_test + 1e-9
    assert math.isclose(summary["test_loss"], fin.test_loss, rel_tol=1e-4)


def test_sigint_to_the_launcher_leaves_one_checkpoint_and_the_run_resumes_on_two_ranks(exp_file, tmp_path):
    from tui_dl.core.runs.checkpoint import load_checkpoint

    run = tmp_path / "run"
    p = _launch(str(exp_file), "--nproc", "2", "--out", str(run), "--set", "train.epochs=300", cwd=tmp_path)
    _wait_rows(run, 2, p)
    tree = _tree(p.pid)
    assert len(_ranks(p.pid)) == 2
    os.kill(p.pid, signal.SIGINT)   # the launcher only (timeout forwards it to torchrun)
    t0 = time.monotonic()
    out, _ = p.communicate(timeout=STOP_DEADLINE + 30)
    took = time.monotonic() - t0
    assert p.returncode == 130, out
    assert took < STOP_DEADLINE, took
    assert not _alive(tree)
    ck = load_checkpoint(run / "last.pt")
    assert ck["status"] == "interrupted"
    assert out.count("saved checkpoint") == 1, out
    done = len(_rows(run))
    assert 2 <= done < 300
    # resume on 2 ranks from that checkpoint, 1 more epoch
    r = _launch("--resume", str(run), "--nproc", "2", "--set", f"train.epochs={done + 1}", cwd=tmp_path)
    out2, _ = r.communicate(timeout=LAUNCH_TIMEOUT + 10)
    assert r.returncode == 0, out2
    assert "resuming from" in out2
    rows = _rows(run)
    assert [int(x["epoch"]) for x in rows] == list(range(1, done + 2))
    assert load_checkpoint(run / "last.pt")["status"] == "completed"


def test_a_killed_rank_ends_the_others_with_a_message_naming_it(exp_file, tmp_path):
    run = tmp_path / "run"
    p = _launch(str(exp_file), "--nproc", "2", "--out", str(run), "--set", "train.epochs=300", cwd=tmp_path)
    _wait_rows(run, 1, p)
    ranks, tree = _ranks(p.pid), _tree(p.pid)
    assert set(ranks) == {0, 1}, ranks
    os.kill(ranks[1], signal.SIGKILL)
    t0 = time.monotonic()
    out, _ = p.communicate(timeout=KILL_DEADLINE + 30)
    took = time.monotonic() - t0
    assert took < KILL_DEADLINE, (took, out)
    assert p.returncode == 1, out
    assert f"rank 1 (pid {ranks[1]}) was killed by SIGKILL" in out, out
    assert "lost a rank" in out or "stopped" in out
    assert not _alive(tree)
    assert (run / "last.pt").is_file()   # the last epoch's checkpoint is kept
