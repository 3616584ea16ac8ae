"""scheduler: onecycle (issue 19): the rate rises to max_lr over pct_start of the planned steps, then falls, after
every optimizer step; the trainer's per-epoch step() leaves it alone; its state survives a checkpoint."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from tui_dl.core.config.schema import Named, TrainConfig
from tui_dl.core.training.optim import PerStep, make_optimizer, make_scheduler, replan_scheduler


def setup(epochs=2, steps=10, **sched):
    cfg = TrainConfig(epochs=epochs, optimizer=Named("adam", {"lr": 0.01}),
                      scheduler=Named("onecycle", {"pct_start": 0.3, **sched}))
    model = torch.nn.Linear(3, 2)
    opt, _ = make_optimizer(model, cfg, torch.device("cpu"))
    return cfg, model, opt, make_scheduler(opt, cfg, steps_per_epoch=steps)


def train_steps(model, opt, sched, n):
    lrs = []
    for _ in range(n):
        opt.zero_grad()
        model(torch.randn(4, 3)).sum().backward()
        opt.step()
        sched.step()  # the trainer's per-epoch call, here after every step: must change nothing
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def test_the_rate_rises_to_max_lr_then_falls_per_step():
    cfg, model, opt, sched = setup()
    assert isinstance(sched, PerStep) and opt.param_groups[0]["lr"] == pytest.approx(0.01 / 25)
    lrs = train_steps(model, opt, sched, 20)
    peak = max(range(20), key=lambda i: lrs[i])
    assert lrs[peak] == pytest.approx(0.01, rel=1e-6) and 4 <= peak <= 6  # 30% of 20 steps
    assert all(a < b for a, b in zip(lrs[:peak], lrs[1:peak + 1]))
    # the 20th step trains at the plan's last (lowest) rate, which then stays
    assert all(a > b for a, b in zip(lrs[peak:-2], lrs[peak + 1:-1])) and lrs[-1] == lrs[-2]
    assert lrs[-1] == pytest.approx(0.01 / 25 / 1e4, rel=1e-3)
    assert train_steps(model, opt, sched, 3) == [lrs[-1]] * 3  # past the plan: no error, the last rate


def test_max_lr_overrides_the_optimizers_lr_and_state_round_trips():
    cfg, model, opt, sched = setup(max_lr=0.1)
    train_steps(model, opt, sched, 7)
    state = sched.state_dict()
    cfg2, model2, opt2, sched2 = setup(max_lr=0.1)
    sched2.load_state_dict(state)
    opt2.load_state_dict(opt.state_dict())
    assert sched2.last_epoch == sched.last_epoch == 7
    a, b = train_steps(model, opt, sched, 5), train_steps(model2, opt2, sched2, 5)
    assert a == pytest.approx(b) and max(a) <= 0.1


def test_a_resume_with_more_epochs_keeps_the_planned_steps():
    cfg, model, opt, sched = setup()
    msg = replan_scheduler(sched, dataclasses.replace(cfg, epochs=4), saved_epochs=2)
    assert "keeps its planned 20 steps" in msg
