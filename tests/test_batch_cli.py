"""`tui-dl --batch` in subprocesses: exit codes 0/1/2/130, the output formats, Ctrl+C then --resume giving the
same metrics as a run that was never interrupted. Tiny data (generated digits / toy points), 1 torch thread."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SMALL_CNN = """\
name: Tiny CNN
input: [1, 28, 28]
layers:
  - {type: Conv2d, out_channels: 4, kernel_size: 5, padding: 2}
  - {type: ReLU}
  - {type: MaxPool2d, kernel_size: 4}
  - {type: Flatten}
  - {type: Linear, out_features: 10}
data: {name: synthetic-digits, num_samples: NUM, val_split: 0.1}
train: {epochs: 2, batch_size: 16, log_every: 1, threads: 1, optimizer: {name: adam, lr: 0.003}}
"""


def write(tmp_path, num=300, extra=""):
    p = tmp_path / "exp.yaml"
    p.write_text(SMALL_CNN.replace("NUM", str(num)) + extra)
    return p


def batch(*args, timeout=120):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "tui_dl", "--batch", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, env=env)


def test_ok_run_prints_epochs_result_and_writes_the_run_folder(tmp_path):
    out = tmp_path / "run"
    r = batch(write(tmp_path), "--out", out)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    epoch_lines = [x for x in lines if x.startswith("epoch ")]
    assert len(epoch_lines) == 2  # piped: one plain line per epoch, no \r progress
    assert "\r" not in r.stdout
    assert "epoch 1/2  train_loss=" in epoch_lines[0] and "val_acc=" in epoch_lines[0] and "img/s" in epoch_lines[0]
    assert any(x.startswith("test accuracy ") for x in lines)
    assert "confusion matrix" in r.stdout and f"run folder: {out}" in r.stdout
    assert "Traceback" not in r.stderr
    for f in ("config.yaml", "metrics.jsonl", "metrics.csv", "last.pt", "best.pt", "summary.json"):
        assert (out / f).is_file()
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "completed" and f"{100 * s['test_accuracy']:.2f}%" in r.stdout


def test_jsonl_events_parse_and_divergence_exits_1(tmp_path):
    r = batch(write(tmp_path), "--jsonl", "--out", tmp_path / "run", "--set", "train.optimizer={name: sgd, lr: 100}",
              "--set", "train.log_every=50")
    assert r.returncode == 1, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]  # stdout holds JSON only
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished" and "diverged" in kinds
    div = events[kinds.index("diverged")]
    assert div["step"] <= 5 and div["advice"].startswith("learning rate too high: try lr=10")
    assert events[-1]["status"] == "diverged"
    assert "DIVERGED" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "run" / "last.pt").is_file()  # the last good (initial) checkpoint


def test_nll_without_logsoftmax_stops_with_the_reason_and_exits_1(tmp_path):
    """issue 13 item 11: nll on raw scores trained to a loss of -1e8 and exited 0; now it stops at once."""
    exp = tmp_path / "nll.yaml"
    exp.write_text("name: nll on logits\ninput: [2]\nlayers:\n  - {type: Linear, out_features: 16}\n"
                   "  - {type: Tanh}\n  - {type: Linear, out_features: 2}\ndata: {name: moons, num_samples: 300}\n"
                   "train: {epochs: 3, batch_size: 32, threads: 1, loss: nll, optimizer: {name: adam, lr: 0.05}}\n")
    r = batch(exp, "--out", tmp_path / "run")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "LOSS BELOW ITS MINIMUM at epoch 1" in r.stderr and "Add a LogSoftmax layer at the end" in r.stderr
    assert "DIVERGED" not in r.stderr and "Traceback" not in r.stderr
    assert "training stopped after" in r.stdout and "the loss fell below its minimum" in r.stdout
    assert not [x for x in r.stdout.splitlines() if x.startswith("epoch ")]


@pytest.mark.parametrize("args,needle", [
    (["--set", "train.optimizer.lr=-1"], "train.optimizer.lr"),                 # config error, no torch
    (["--device", "cuda"], "no NVIDIA GPU"),
    (["--set", "data.name=idx", "--set", "data.root=/nonexistent/idx"], "/nonexistent/idx"),
])
def test_bad_config_network_device_or_data_exits_2_without_traceback(args, needle, tmp_path):
    if "cuda" in args:
        import torch
        if torch.cuda.is_available():
            pytest.skip("this machine has CUDA")
    r = batch(write(tmp_path), "--out", tmp_path / "run", *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr and "Traceback" not in r.stderr


def test_invalid_network_prints_the_table_and_never_imports_torch(tmp_path):
    code = ("import sys; from tui_dl.cli.main import main; rc = main(['--batch', 'presets/handout_bug.yaml']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', rc)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.stdout.split() == ["NO-TORCH", "2"], r.stderr
    assert "360 features arrive" in r.stderr and "fix: set in_features to 360" in r.stderr


def test_ctrl_c_saves_a_checkpoint_and_resume_matches_an_uninterrupted_run(tmp_path):
    exp = write(tmp_path, num=2000)  # 1,800 train samples: 113 steps per epoch at batch 16
    run_dir = tmp_path / "run"
    env = {**os.environ, "NO_COLOR": "1"}
    p = subprocess.Popen([sys.executable, "-m", "tui_dl", "--batch", str(exp), "--jsonl", "--out", str(run_dir)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    seen = []
    deadline = time.time() + 120
    for line in p.stdout:
        ev = json.loads(line)
        seen.append(ev)
        if ev["event"] == "step" and ev["step"] >= 3:
            p.send_signal(signal.SIGINT)
            break
        assert time.time() < deadline
    rest, err = p.communicate(timeout=120)
    seen += [json.loads(x) for x in rest.splitlines()]
    assert p.returncode == 130, err
    assert "saving a checkpoint" in err and "Traceback" not in err
    assert seen[-1]["event"] == "finished" and seen[-1]["status"] == "stopped"
    saved = [e for e in seen if e["event"] == "checkpoint"][-1]
    assert saved["reason"] == "interrupted" and saved["epoch"] == 1 and 3 <= saved["step"] < 113  # mid-epoch

    r = batch("--resume", run_dir, "--quiet")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.strip().splitlines()) == 1 and r.stdout.startswith("completed  test_acc=")

    # the same experiment, never interrupted (in this process: same code, same thread count)
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.training.loop import iter_training
    ref_dir = tmp_path / "ref"
    list(iter_training(load_experiment(exp), run_dir=ref_dir))

    def rows(d):
        return [{k: v for k, v in r.items() if k not in ("seconds", "images_per_second")}
                for r in csv.DictReader((d / "metrics.csv").open())]

    def steps(d):
        return [(e["step"], e["loss"]) for e in map(json.loads, (d / "metrics.jsonl").read_text().splitlines())
                if e["event"] == "step"]

    assert rows(run_dir) == rows(ref_dir) and len(rows(ref_dir)) == 2
    assert steps(run_dir) == steps(ref_dir) and len(steps(ref_dir)) == 226
    a, b = (json.loads((d / "summary.json").read_text()) for d in (run_dir, ref_dir))
    assert (a["test_loss"], a["test_accuracy"], a["confusion"]) == (b["test_loss"], b["test_accuracy"], b["confusion"])


def test_diagnoses_are_printed_once(tmp_path, monkeypatch, capsys):
    """In-process, with the app tests' scripted trainer: a loss that climbs 40× (and never explodes) is flagged."""
    from tests.ui.fakes import scripted_training
    from tui_dl.cli import main as cli
    from tui_dl.core.training import loop as train

    monkeypatch.setattr(train, "iter_training", scripted_training(epochs=2, batches=40, log_every=5, rise_at=20))
    monkeypatch.setenv("NO_COLOR", "1")
    rc = cli.main(["--batch", str(write(tmp_path)), "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.count("⚑ rising loss") == 1
    assert re.search(r"⚑ rising loss: at step 20 the training loss is 92, \d\d× where it started", out)


def test_the_result_names_both_val_accuracies_and_what_best_pt_holds():
    """issue 13 item 20: "best val acc" was the accuracy at the lowest val loss. The printer says which is which."""
    import io

    from tui_dl.cli.batch import _Printer
    from tui_dl.core.training.events import Finished

    fin = Finished(status="completed", run_dir="runs/x", epochs_run=4, steps=40, seconds=2.0,
                   train_images_per_second=100.0, best_epoch=3, best_val_loss=0.25, best_val_accuracy=0.912,
                   test_loss=0.3, test_accuracy=0.9, monitor="val_loss", monitor_mode="min",
                   monitor_source="early_stopping", val_accuracy_at_best=0.912, highest_val_accuracy=0.915,
                   highest_val_accuracy_epoch=4, best_checkpoint="runs/x/best.pt")
    out = io.StringIO()
    _Printer(out, quiet=False, color=False).finished(fin)
    text = out.getvalue()
    assert "  val acc at best val loss (epoch 3): 91.20% · best val acc 91.50% (epoch 4)\n" in text
    assert "  best.pt holds epoch 3: the lowest val loss (the early-stopping monitor)\n" in text
    # a run that stopped before its test: the lines are still there
    out = io.StringIO()
    _Printer(out, quiet=False, color=False).finished(_stopped(fin))
    assert "best val acc 91.50% (epoch 4)" in out.getvalue() and "continue with:" in out.getvalue()


def _stopped(fin):
    import dataclasses

    return dataclasses.replace(fin, status="stopped", test_accuracy=None, test_loss=None)


def test_resume_from_best_pt_into_a_new_out_folder_writes_the_history(tmp_path):
    """issue 13 item 21: `--resume run/best.pt --out new` on a finished run wrote an empty metrics.csv."""
    exp = tmp_path / "moons.yaml"
    exp.write_text("name: moons\ninput: [2]\nlayers:\n  - {type: Linear, out_features: 8}\n  - {type: Tanh}\n"
                   "  - {type: Linear, out_features: 2}\ndata: {name: moons, num_samples: 300}\n"
                   "train: {epochs: 2, batch_size: 32, threads: 1, optimizer: {name: adam, lr: 0.02}}\n")
    assert batch(exp, "--out", tmp_path / "run", "--quiet").returncode == 0
    r = batch("--resume", tmp_path / "run" / "best.pt", "--out", tmp_path / "new")
    assert r.returncode == 0, r.stderr
    best = json.loads((tmp_path / "run" / "summary.json").read_text())["best"]["epoch"]
    old = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    new = list(csv.DictReader((tmp_path / "new" / "metrics.csv").open()))
    assert new == old[:best] and len(new) >= 1
    kinds = [json.loads(x)["event"] for x in (tmp_path / "new" / "metrics.jsonl").read_text().splitlines()]
    assert kinds.count("epoch") == best and kinds[-1] == "finished"
    assert "its history (epoch" in r.stdout and (tmp_path / "new" / "last.pt").is_file()
