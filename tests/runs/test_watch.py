"""Following a live run (issue 17, item 4): `tui-dl watch` beside a `--batch` run in a subprocess until it
finishes, and until it is killed with SIGKILL; the follower's torn lines and rewritten files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.runs.helpers import TOY_YAML
from tui_dl.core.runs.follow import Follower, Restarted, RunEnded, is_live
from tui_dl.core.runs.lock import RunLock
from tui_dl.core.training.events import EpochDone, Finished, RunStarted

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}


def _tui(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "tui_dl", *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _exp(tmp_path, epochs, extra=""):
    p = tmp_path / "toy.yaml"
    p.write_text(TOY_YAML.replace("EPOCHS", str(epochs)) + extra)
    return p


def test_watch_follows_a_batch_run_until_it_finishes(tmp_path):
    out = tmp_path / "run"
    train = _tui("--batch", _exp(tmp_path, 6), "--out", out)
    watch = _tui("watch", out, "--interval", "0.05")
    assert train.poll() is None  # the watcher started before the run ended (torch alone takes seconds to load)
    w_out, w_err = watch.communicate(timeout=120)
    t_out, t_err = train.communicate(timeout=120)
    assert train.returncode == 0, t_err
    assert watch.returncode == 0, w_err
    epochs = [x for x in w_out.splitlines() if x.startswith("epoch ")]
    assert len(epochs) == 6 and epochs == [x for x in t_out.splitlines() if x.startswith("epoch ")]
    assert "test accuracy" in w_out and "Traceback" not in w_err
    assert not is_live(out)


def test_watch_notices_a_run_killed_with_sigkill(tmp_path):
    out = tmp_path / "run"
    train = _tui("--batch", _exp(tmp_path, 100000), "--out", out)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it has trained an epoch
            m = out / "metrics.jsonl"
            if m.exists() and '"event": "epoch"' in m.read_text():
                break
            time.sleep(0.05)
        assert is_live(out)
        watch = _tui("watch", out, "--interval", "0.05", "--grace", "0.5")
        time.sleep(0.5)
        train.send_signal(signal.SIGKILL)
        train.wait(timeout=30)
        w_out, w_err = watch.communicate(timeout=60)
    finally:
        train.kill()
    assert watch.returncode == 1, (w_out, w_err)
    assert "killed or crashed" in w_err and f"--resume {out}" in w_err and "Traceback" not in w_err
    assert w_out.count("epoch ") >= 1
    assert not is_live(out)


def _line(ev: dict) -> bytes:
    return (json.dumps(ev) + "\n").encode()


STARTED = {"event": "started", "name": "t", "run_dir": "r", "device": "cpu", "device_name": "CPU", "dataset": "moons",
           "train_size": 1, "val_size": 0, "test_size": 0, "epochs": 1, "steps_per_epoch": 1, "params": 1}
EPOCH = {"event": "epoch", "epoch": 1, "epochs": 1, "step": 1, "train_loss": 0.5, "train_accuracy": 1.0,
         "val_loss": None, "val_accuracy": None, "lr": 0.1, "seconds": 1.0, "images_per_second": 1.0}
FINISHED = {"event": "finished", "status": "completed", "run_dir": "r", "epochs_run": 1, "steps": 1, "seconds": 1.0,
            "train_images_per_second": 1.0}


def test_a_torn_last_line_is_waited_for_and_a_rewrite_starts_over(tmp_path):
    run = tmp_path / "run"
    with RunLock(run):  # a live writer: this process
        m = run / "metrics.jsonl"
        f = Follower(run)
        assert f.poll() == []  # nothing yet, the writer is alive
        whole = _line(STARTED) + _line(EPOCH)
        m.write_bytes(whole[:-20])  # the writer is mid-line
        got = f.poll()
        assert [type(x) for x in got] == [RunStarted]
        with open(m, "ab") as fh:
            fh.write(whole[-20:])
        assert [type(x) for x in f.poll()] == [EpochDone]
        tmp = run / "m.tmp"  # --resume rewrites the file (atomically: a new inode)
        tmp.write_bytes(_line(STARTED))
        os.replace(tmp, m)
        got = f.poll()
        assert isinstance(got[0], Restarted) and isinstance(got[1], RunStarted)
        with open(m, "ab") as fh:
            fh.write(_line(FINISHED))
        got = f.poll()
        assert isinstance(got[0], Finished) and got[-1] == RunEnded("finished", "the run ended: completed",
                                                                   "completed")
        assert f.poll() == []


def test_a_writer_gone_without_a_final_event_is_died_after_the_grace(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_bytes(_line(STARTED))
    now = [0.0]
    f = Follower(run, grace=2.0, clock=lambda: now[0])
    assert [type(x) for x in f.poll()] == [RunStarted]
    now[0] = 1.0
    assert f.poll() == []  # within the grace
    now[0] = 3.5
    (got,) = f.poll()
    assert got.how == "died" and "killed or crashed" in got.message


def test_a_missing_folder_is_waited_for_then_reported(tmp_path):
    now = [0.0]
    f = Follower(tmp_path / "later", wait_start=5, clock=lambda: now[0])
    assert f.poll() == []
    now[0] = 6
    assert f.poll()[0].how == "missing"
    r = subprocess.run([sys.executable, "-m", "tui_dl", "watch", str(tmp_path / "nope"), "--wait", "0"], cwd=ROOT,
                       env=ENV, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no such run folder" in r.stderr and "Traceback" not in r.stderr
