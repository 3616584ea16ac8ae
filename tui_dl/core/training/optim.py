"""Optimizers and learning-rate schedulers from the experiment's ``train:`` section.

The fused implementations (one kernel over all parameters instead of a Python loop of small ops) are used
where this torch offers them for the device (Adam, AdamW, SGD, Adagrad on CPU and CUDA); otherwise the
default implementation. Both give the same updates up to float rounding.
"""

from __future__ import annotations

import math

import torch

from tui_dl.core.config import schema as C
from tui_dl.core.i18n import N_, _
from tui_dl.core.training.events import english

#: optimizers with a fused kernel (torch >= 2.4 on CPU and CUDA); rmsprop has none
_FUSED_OK = {"sgd", "momentum", "nesterov", "gd", "adagrad", "adam", "adamw"}


def optimizer_kwargs(name: str, params: dict, weight_decay: float) -> tuple[type, dict]:
    """The torch class and keyword arguments; ``params`` is ``Named.resolved`` (every field filled in)."""
    p = dict(params)
    lr = float(p.pop("lr"))
    wd = float(weight_decay or 0.0)
    if name == "gd":
        return torch.optim.SGD, {"lr": lr, "weight_decay": wd}
    if name == "sgd":
        return torch.optim.SGD, {"lr": lr, "momentum": float(p["momentum"]),
                                 "dampening": float(p["dampening"]),
                                 "nesterov": bool(p["nesterov"]), "weight_decay": wd}
    if name == "momentum":
        return torch.optim.SGD, {"lr": lr, "momentum": float(p["momentum"]), "weight_decay": wd}
    if name == "nesterov":
        return torch.optim.SGD, {"lr": lr, "momentum": float(p["momentum"]), "nesterov": True,
                                 "weight_decay": wd}
    if name == "adagrad":
        return torch.optim.Adagrad, {"lr": lr, "lr_decay": float(p["lr_decay"]),
                                     "eps": float(p["eps"]),
                                     "initial_accumulator_value": float(p["initial_accumulator_value"]),
                                     "weight_decay": wd}
    if name == "rmsprop":
        return torch.optim.RMSprop, {"lr": lr, "alpha": float(p["alpha"]), "eps": float(p["eps"]),
                                     "momentum": float(p["momentum"]),
                                     "centered": bool(p["centered"]), "weight_decay": wd}
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        betas = p["betas"]
        return cls, {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": float(p["eps"]),
                     "amsgrad": bool(p["amsgrad"]), "weight_decay": wd}
    raise ValueError(_("unknown optimizer {name!r}: use one of {choices}").format(
        name=name, choices=", ".join(C.OPTIMIZERS)))


def make_optimizer(model: torch.nn.Module, train_cfg, device: torch.device, fused: bool | None = None
                   ) -> tuple[torch.optim.Optimizer, str]:
    """The optimizer for ``train_cfg.optimizer``; returns it with the implementation used
    (``"fused"`` or ``"default"``)."""
    if device.type == "cpu":  # the first optimizer step imports torch's compiler: not triton with it (76 MiB)
        from tui_dl.core.training.lean import skip_gpu_compiler

        skip_gpu_compiler()
    name = train_cfg.optimizer.name
    cls, kw = optimizer_kwargs(name, train_cfg.optimizer.resolved(C.OPTIMIZERS), train_cfg.weight_decay)
    params = [p for p in model.parameters() if p.requires_grad]
    want_fused = (name in _FUSED_OK and device.type in ("cpu", "cuda")) if fused is None else fused
    if want_fused:
        try:
            return cls(params, fused=True, **kw), "fused"
        except (RuntimeError, ValueError, TypeError):
            pass  # this torch has no fused kernel for this optimizer/device: fall back below
    return cls(params, **kw), "default"


class PerStep:
    """A schedule that moves the learning rate after every optimizer step (``onecycle``), behind the per-epoch
    scheduler interface the trainer uses: its ``step()`` at the end of an epoch does nothing, an optimizer
    step post-hook advances the inner schedule (``torch.optim.lr_scheduler.OneCycleLR``), and its state is the
    inner schedule's, so checkpoints and resumes carry it as any other."""

    def __init__(self, inner, total_steps: int):
        self.inner, self.total_steps = inner, int(total_steps)
        self.optimizer = inner.optimizer
        self._hook = self.optimizer.register_step_post_hook(self._after_step)

    def _after_step(self, *_args) -> None:
        if self.inner.last_epoch < self.total_steps - 1:  # the plan's last rate is kept past its end
            self.inner.step()

    def step(self, *_args) -> None:  # the trainer's per-epoch call
        pass

    @property
    def last_epoch(self) -> int:
        return self.inner.last_epoch

    def get_last_lr(self) -> list[float]:
        return self.inner.get_last_lr()

    def state_dict(self) -> dict:
        return self.inner.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.inner.load_state_dict(state)


def make_scheduler(optimizer: torch.optim.Optimizer, train_cfg, steps_per_epoch: int | None = None):
    """The LR scheduler (or None), stepped by the trainer once per epoch. ``plateau`` is stepped with a metric;
    the others without; ``onecycle`` moves the rate after every optimizer step (:class:`PerStep`) over
    ``epochs × steps_per_epoch`` steps."""
    if train_cfg.scheduler is None:
        return None
    name = train_cfg.scheduler.name
    p = train_cfg.scheduler.resolved(C.SCHEDULERS)
    S = torch.optim.lr_scheduler
    if name == "onecycle":
        total = max(1, int(train_cfg.epochs) * int(steps_per_epoch or 1))
        max_lr = float(p["max_lr"] or optimizer.param_groups[0]["lr"])
        return PerStep(S.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total, pct_start=float(p["pct_start"]),
                                    div_factor=float(p["div_factor"]),
                                    final_div_factor=float(p["final_div_factor"]),
                                    cycle_momentum=False), total)
    if name == "step":
        return S.StepLR(optimizer, step_size=int(p["step_size"]), gamma=float(p["gamma"]))
    if name == "cosine":
        t_max = p["t_max"] or train_cfg.epochs
        return S.CosineAnnealingLR(optimizer, T_max=int(t_max), eta_min=float(p["eta_min"]))
    if name == "exponential":
        return S.ExponentialLR(optimizer, gamma=float(p["gamma"]))
    if name == "plateau":
        return S.ReduceLROnPlateau(optimizer, mode="min", factor=float(p["factor"]), patience=int(p["patience"]),
                                   min_lr=float(p["min_lr"]))
    raise ValueError(_("unknown scheduler {name!r}: use one of {choices}").format(
        name=name, choices=", ".join(C.SCHEDULERS)))


def replan_scheduler(scheduler, train_cfg, saved_epochs: int) -> str | None:
    """A resumed run whose ``train.epochs`` changed from ``saved_epochs``: fit the restored scheduler to the new
    length and return what to tell the student (None when the epochs did not change or there is no scheduler).

    Only a cosine schedule without its own ``t_max`` depends on the run's length. It is re-planned as if the run
    had started with the new ``epochs``: T_max becomes the new length and the learning rate jumps to the
    cosine's value at the current epoch, so the remaining epochs train at exactly the rates a run planned that
    long from the start uses there (without this, T_max stayed at the old length: extending a finished 2-epoch
    run to 5 trained epoch 3 at lr 0, then the rate rose again). Every other schedule (step, exponential,
    plateau, cosine with t_max) goes on as before: it does not depend on the number of epochs."""
    if scheduler is None or train_cfg.scheduler is None or int(saved_epochs) == int(train_cfg.epochs):
        return None
    name = train_cfg.scheduler.name
    p = train_cfg.scheduler.resolved(C.SCHEDULERS)
    change = {"old": saved_epochs, "new": train_cfg.epochs}
    if name == "onecycle":
        return english(N_("train.epochs {old} → {new}: the onecycle schedule keeps its planned {steps} steps (after "
                          "them the rate stays at its last value)"), **change, steps=f"{scheduler.total_steps:,}")
    if name == "cosine" and p["t_max"]:
        return english(N_("train.epochs {old} → {new}: the cosine schedule goes on as before (it keeps "
                          "train.scheduler.t_max={t_max})"), **change, t_max=p["t_max"])
    if name != "cosine":
        return english(N_("train.epochs {old} → {new}: the {name} schedule goes on as before (it does not depend "
                          "on the number of epochs)"), **change, name=name)
    t_max, t = int(train_cfg.epochs), int(scheduler.last_epoch)
    old = current_lr(scheduler.optimizer)
    lrs = [scheduler.eta_min + (base - scheduler.eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
           for base in scheduler.base_lrs]
    scheduler.T_max = t_max
    for group, lr in zip(scheduler.optimizer.param_groups, lrs):
        group["lr"] = lr
    scheduler._last_lr = list(lrs)
    return english(N_("train.epochs {old} → {new}: the cosine schedule is re-planned over {t_max} epochs, as if the "
                      "run had started with epochs={t_max}: epoch {epoch} trains at lr={lr} (the old plan: {old_lr})"),
                   **change, t_max=t_max, epoch=t + 1, lr=f"{lrs[0]:.4g}", old_lr=f"{old:.4g}")


def is_plateau(scheduler) -> bool:
    return isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
