"""Optimizers and learning-rate schedulers from the experiment's ``train:`` section.

The fused implementations (one kernel over all parameters instead of a Python loop of small ops) are used
where this torch offers them for the device (Adam, AdamW, SGD, Adagrad on CPU and CUDA); otherwise the
default implementation. Both give the same updates up to float rounding.
"""

from __future__ import annotations

import torch

from tui_dl.core.config import schema as C

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
    raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(C.OPTIMIZERS)}")


def make_optimizer(model: torch.nn.Module, train_cfg, device: torch.device, fused: bool | None = None
                   ) -> tuple[torch.optim.Optimizer, str]:
    """The optimizer for ``train_cfg.optimizer``; returns it with the implementation used
    (``"fused"`` or ``"default"``)."""
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


def make_scheduler(optimizer: torch.optim.Optimizer, train_cfg):
    """The per-epoch LR scheduler (or None). ``plateau`` is stepped with a metric; the others without."""
    if train_cfg.scheduler is None:
        return None
    name = train_cfg.scheduler.name
    p = train_cfg.scheduler.resolved(C.SCHEDULERS)
    S = torch.optim.lr_scheduler
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
    raise ValueError(f"unknown scheduler {name!r}: use one of {', '.join(C.SCHEDULERS)}")


def is_plateau(scheduler) -> bool:
    return isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
