"""Diverged training: caught at the first bad step (before the loss ever has to become NaN), exit 1 with advice,
and the last good checkpoint kept and loadable. NaN and inf are injected into the forward pass; the explosion
is real (SGD, lr=100, LeNet)."""

from __future__ import annotations

import pytest

from tests.reliability.helpers import (checkpoint_ok, cli, fault, inject_forward, jsonl, lenet_yaml, moons_yaml,
                                       summary, write)
from tui_dl.core.training.loop import EXPLODE_FACTOR, EXPLODE_FLOOR


def test_lenet_with_lr_100_is_stopped_at_the_first_exploding_step(tmp_path):
    f = write(tmp_path / "lenet.yaml", lenet_yaml("epochs: 3, batch_size: 32, log_every: 1, "
                                                  "optimizer: {name: sgd, lr: 100}"))
    fault("divergence: SGD lr=100 (real)")
    rc, out, err = cli("--batch", f, "--jsonl", "--out", tmp_path / "run")
    assert rc == 1, err
    events = jsonl(out)
    kinds = [e["event"] for e in events]
    assert kinds.count("diverged") == 1 and kinds[-1] == "finished" and events[-1]["status"] == "diverged"
    div = events[kinds.index("diverged")]
    steps = [e for e in events if e["event"] == "step"]
    # every step before the divergence was logged (log_every 1) and stayed under the rule's threshold;
    # the diverged step is the very next one, and it is over the threshold (or not finite)
    first = steps[0]["loss"]
    threshold = max(EXPLODE_FACTOR * first, EXPLODE_FLOOR)
    assert all(s["loss"] <= threshold for s in steps), steps
    assert div["step"] == steps[-1]["step"] + 1 and div["step"] <= 5, (div, steps)
    assert div["reason"] in ("exploded", "nan", "inf")
    if div["reason"] == "exploded":
        assert div["loss"] > threshold
    assert not [e for e in events if e["event"] == "epoch"], "no epoch may be reported after a divergence"
    # the message: what happened, why, what to do
    assert "DIVERGED at epoch 1" in err
    assert "learning rate too high: try lr=10 " in err and "grad_clip" in err
    assert "the last good checkpoint is kept" in err
    # the last good checkpoint: the initial weights, finite, loadable; the summary says diverged
    ck = checkpoint_ok(tmp_path / "run")
    assert ck["step"] == 0
    assert summary(tmp_path / "run")["status"] == "diverged"


@pytest.mark.parametrize("kind,value,at_step", [
    ("nan", float("nan"), 1),        # the very first loss is NaN: there is no scale to compare with
    ("nan", float("nan"), 40),       # mid-run, in epoch 3 (18 steps per epoch)
    ("inf", float("inf"), 30),
])
def test_nan_or_inf_loss_stops_the_run_and_keeps_the_last_epoch(kind, value, at_step, tmp_path, monkeypatch):
    loss = "mse" if kind == "inf" else "cross_entropy"
    f = write(tmp_path / "exp.yaml", moons_yaml(f"epochs: 3, loss: {loss}"))
    state = inject_forward(monkeypatch, at_step=at_step, action=lambda out: out * value)
    fault(f"divergence: {kind} injected into the forward pass")
    rc, out, err = cli("--batch", f, "--jsonl", "--out", tmp_path / "run")
    assert rc == 1, err
    assert state["fired"] == 1, "the run must stop at the first bad step"
    events = jsonl(out)
    div = [e for e in events if e["event"] == "diverged"]
    assert len(div) == 1 and div[0]["step"] == at_step and div[0]["reason"] == kind, div
    assert {"nan": "became NaN", "inf": "became infinite"}[kind] in err
    assert "learning rate too high" in err
    ck = checkpoint_ok(tmp_path / "run")
    epochs_done = (at_step - 1) // 18
    assert ck["epochs_completed"] == epochs_done and ck["step"] == 18 * epochs_done
    if epochs_done:
        checkpoint_ok(tmp_path / "run" / "best.pt")


def test_nan_in_full_batch_gradient_descent(tmp_path, monkeypatch):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 6, optimizer: {name: gd, lr: 0.5}"))
    inject_forward(monkeypatch, at_step=4, action=lambda out: out * float("nan"))
    fault("divergence: nan injected (full-batch gd)")
    rc, out, err = cli("--batch", f, "--jsonl", "--out", tmp_path / "run")
    assert rc == 1 and "became NaN (not a number) at step 4" in err, err
    ck = checkpoint_ok(tmp_path / "run")
    assert ck["step"] == 3  # one step per epoch: epochs 1-3 were good


def test_resuming_a_diverged_run_is_not_a_crash(tmp_path):
    """A student's first reflex is --resume: it must say something sensible, not raise."""
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 2, optimizer: {name: sgd, lr: 1000000}, loss: mse"))
    rc, _, err = cli("--batch", f, "--out", tmp_path / "run", "--quiet")
    assert rc == 1, err
    fault("divergence: --resume of a diverged run")
    rc, out, err = cli("--batch", "--resume", tmp_path / "run", "--quiet")
    assert rc == 1 and "learning rate too high" in err, (rc, out, err)
    checkpoint_ok(tmp_path / "run")
