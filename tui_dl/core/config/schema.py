"""The experiment's ``data:`` and ``train:`` settings: every field with its default, limits and help.

Plain Python (no torch). The YAML loader (:mod:`tui_dl.core.config.experiment`) validates against these
schemas and reports the file, line and field of every problem; the app builds its inputs from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _
# The data section's fields are declared by the data layer beside its catalogue (plain Python, no torch), so the
# loader checks direct callers with the same Fields and needs nothing from here; TOY_DATASETS is used by the app.
from tui_dl.core.data.base import DATA_FIELDS, DATASET_NAMES, TOY_DATASETS  # noqa: F401

#: The dataset names, taken from the data catalogue, not listed again here.
DATASETS = DATASET_NAMES


#: Optimizers and their own fields. ``gd`` is full-batch gradient descent (the whole training set per step).
OPTIMIZERS: dict[str, tuple[Field, ...]] = {
    "gd": (Field("lr", "float", 0.1, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),),
    "sgd": (
        Field("lr", "float", 0.01, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("momentum", "float", 0.0, N_("momentum β (0 = plain SGD)"), min=0, max=1),
        Field("dampening", "float", 0.0, N_("dampening for momentum"), min=0, max=1),
        Field("nesterov", "bool", False, N_("Nesterov momentum (needs momentum > 0)")),
    ),
    "momentum": (
        Field("lr", "float", 0.01, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("momentum", "float", 0.9, N_("momentum β: v ← βv + g"), min=0, max=1),
    ),
    "nesterov": (
        Field("lr", "float", 0.01, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("momentum", "float", 0.9, N_("momentum β, with the look-ahead gradient"), min=0, max=1,
              min_exclusive=True),
    ),
    "adagrad": (
        Field("lr", "float", 0.01, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("lr_decay", "float", 0.0, N_("learning-rate decay"), min=0),
        Field("eps", "float", 1e-10, N_("ε added to √G"), min=0, min_exclusive=True),
        Field("initial_accumulator_value", "float", 0.0, N_("starting value of G"), min=0),
    ),
    "rmsprop": (
        Field("lr", "float", 0.01, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("alpha", "float", 0.99, N_("smoothing ρ of the squared-gradient average"), min=0, max=1),
        Field("eps", "float", 1e-8, N_("ε added to the root"), min=0, min_exclusive=True),
        Field("momentum", "float", 0.0, N_("momentum"), min=0, max=1),
        Field("centered", "bool", False, N_("normalise by the gradient's variance")),
    ),
    "adam": (
        Field("lr", "float", 0.001, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("betas", "floats", [0.9, 0.999], N_("β₁ (momentum) and β₂ (squared-gradient average)"), min=0, max=1,
              length=2),
        Field("eps", "float", 1e-8, N_("ε added to √v̂"), min=0, min_exclusive=True),
        Field("amsgrad", "bool", False, N_("use the AMSGrad variant")),
    ),
    "adamw": (
        Field("lr", "float", 0.001, N_("learning rate η"), min=0, min_exclusive=True, max=1e6),
        Field("betas", "floats", [0.9, 0.999], N_("β₁ and β₂"), min=0, max=1, length=2),
        Field("eps", "float", 1e-8, N_("ε added to √v̂"), min=0, min_exclusive=True),
        Field("amsgrad", "bool", False, N_("use the AMSGrad variant")),
    ),
}

LOSSES: dict[str, tuple[Field, ...]] = {
    "cross_entropy": (Field("label_smoothing", "float", 0.0, N_("spread this much target mass over all classes"),
                            min=0, max=1),),
    "nll": (),
    "mse": (),
    "mae": (),
    "bce": (),
    "focal": (
        Field("gamma", "float", 2.0, N_("focusing γ: down-weights easy examples by (1−p)^γ"), min=0, max=20),
        Field("alpha", "float", None, N_("weight of the positive class (binary) or all classes"), min=0, max=1,
              nullable=True),
    ),
}

SCHEDULERS: dict[str, tuple[Field, ...]] = {
    "step": (Field("step_size", "int", 5, N_("epochs between decays"), min=1),
             Field("gamma", "float", 0.1, N_("factor applied every step_size epochs"), min=0, min_exclusive=True,
                   max=1)),
    "cosine": (Field("t_max", "int", None, N_("epochs of one cosine half-wave (default: epochs)"), min=1,
                     nullable=True),
               Field("eta_min", "float", 0.0, N_("lowest learning rate"), min=0)),
    "exponential": (Field("gamma", "float", 0.95, N_("factor applied every epoch"), min=0, min_exclusive=True,
                          max=1),),
    "onecycle": (Field("max_lr", "float", None, N_("peak learning rate (default: the optimizer's lr)"), min=0,
                       min_exclusive=True, max=1e6, nullable=True),
                 Field("pct_start", "float", 0.25, N_("share of the run spent warming up to max_lr"), min=0,
                       min_exclusive=True, max=0.99),
                 Field("div_factor", "float", 25.0, N_("the rate starts at max_lr / div_factor"), min=1),
                 Field("final_div_factor", "float", 1e4, N_("and ends at the start rate / final_div_factor"), min=1)),
    "plateau": (Field("factor", "float", 0.1, N_("factor applied when val loss stalls"), min=0, min_exclusive=True,
                      max=1),
                Field("patience", "int", 2, N_("epochs without improvement before decaying"), min=0),
                Field("min_lr", "float", 0.0, N_("lowest learning rate"), min=0)),
}

EARLY_STOPPING_FIELDS: tuple[Field, ...] = (
    Field("patience", "int", 3, N_("epochs without improvement before stopping"), min=1, max=100_000),
    Field("monitor", "choice", "val_loss", N_("metric watched"), choices=("val_loss", "val_accuracy", "train_loss")),
    Field("min_delta", "float", 0.0, N_("smallest change that counts as an improvement"), min=0),
    Field("restore_best", "bool", True, N_("finish with the best epoch's weights")),
)

#: ``train.adversarial``: train on a mix of clean and adversarial examples (Goodfellow et al. 2014 with FGSM,
#: Madry et al. 2018 with PGD). ε is in pixel units (images in [0, 1] before normalisation).
ADVERSARIAL_METHODS = ("fgsm", "pgd")
ADVERSARIAL_FIELDS: tuple[Field, ...] = (
    Field("eps", "float", 0.1, N_("perturbation size ε in pixel units (images in [0, 1]; MNIST papers use 0.3)"),
          min=0, max=1),
    Field("fraction", "float", 0.5, N_("share of each batch replaced by its adversarial version"), min=0,
          min_exclusive=True, max=1),
    Field("method", "choice", "fgsm", N_("fgsm: one signed-gradient step; pgd: `steps` projected steps from a random "
          "start (stronger, `steps`× slower)"), choices=ADVERSARIAL_METHODS),
    Field("steps", "int", 7, N_("PGD steps of 2.5·ε/steps each (method: pgd only)"), min=1, max=1000),
)

DEVICE_RE = re.compile(r"^(auto|cpu|mps|xpu|cuda(:\d+)?)$")

TRAIN_FIELDS: tuple[Field, ...] = (
    Field("epochs", "int", 10, N_("passes over the training set"), min=1, max=100_000),
    Field("batch_size", "int", 64, N_("samples per step (ignored by gd, which uses the whole set)"), min=1,
          max=1_000_000),
    Field("weight_decay", "float", 0.0, N_("L2 penalty added by the optimizer"), min=0, max=10),
    Field("seed", "int", 0, N_("seed for torch, numpy and Python: same seed, same numbers (same machine)"), min=0,
          max=2**32 - 1),
    Field("device", "str", "auto", N_("auto (CUDA → MPS → CPU), cpu, cuda, cuda:N or mps")),
    Field("threads", "int", 0, N_("CPU threads for torch (0 = chosen for this machine)"), min=0, max=512),
    Field("log_every", "int", 10, N_("steps between step events (plot points, progress lines)"), min=1,
          max=1_000_000),
    Field("channels_last", "bool", None, N_("channels-last memory format for conv nets (default: on for CPU "
          "conv nets)"), nullable=True),
    Field("split_batch", "bool", None, N_("CPU: cut each batch into one part per core, run the parts at once and add "
          "their gradients (default: on for 2–4 threads when the net has no BatchNorm or Dropout)"), nullable=True),
    Field("limit_batches", "int", None, N_("stop each epoch after this many steps (quick checks)"), min=1,
          nullable=True),
    Field("grad_clip", "float", None, N_("clip the gradient norm to this value"), min=0, min_exclusive=True,
          nullable=True),
    Field("checkpoints", "bool", True, N_("write last.pt and best.pt into the run folder")),
)
#: Where else the run's events go (issue 17): its own block, so other additions to TRAIN_FIELDS merge cleanly.
LOG_TARGETS = ("tensorboard",)
TRAIN_FIELDS += (
    Field("log_to", "choices", None, N_("also write the events for these tools: [tensorboard] writes RUN/tb/ "
          "(needs pip install 'tui-dl[tensorboard]')"), choices=LOG_TARGETS, nullable=True),
)
#: Which CPU step trains (issue 19, core/training/strategy.py): its own block, so other additions merge cleanly.
CPU_STRATEGIES = ("auto", "split", "threads")
TRAIN_FIELDS += (
    Field("strategy", "choice", None, N_("CPU step: auto (time split lanes and one model with N threads, "
          "channels-last on and off, for a fraction of a second, or reuse the cached answer; the fastest "
          "trains), split (the batch cut into one lane per core) or threads (one model, N threads); "
          "unset = auto"), choices=CPU_STRATEGIES, nullable=True),
)

#: Precision and speed switches (issue 18): their own block, so other additions to TRAIN_FIELDS merge cleanly.
PRECISIONS = ("fp32", "bf16", "fp16")
TRAIN_FIELDS += (
    Field("precision", "choice", "fp32", N_("fp32; bf16 (autocast: CUDA, or CPUs with native bf16); fp16 (autocast "
          "with a gradient scaler, CUDA only)"), choices=PRECISIONS),
    Field("compile", "bool", False, N_("torch.compile the network (compile time is reported apart from training)")),
    Field("deterministic", "bool", False, N_("deterministic algorithms (cuDNN, cuBLAS workspace); warns for ops "
          "without one")),
    Field("tf32", "bool", None, N_("CUDA: TF32 matmul and convolutions (default: on for Ampere and newer)"),
          nullable=True),
)

# Sub-sections of train: with their own schema; the value may be a name or {name: ..., fields...}.
NAMED_SECTIONS = {"loss": LOSSES, "optimizer": OPTIMIZERS, "scheduler": SCHEDULERS}


@dataclass(frozen=True)
class Named:
    """A choice with its own arguments: ``optimizer: {name: adam, lr: 0.001}``."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self, table: dict[str, tuple[Field, ...]]) -> dict[str, Any]:
        out = {f.name: f.default for f in table[self.name]}
        out.update(self.params)
        return out

    def to_yaml_value(self):
        return {"name": self.name, **self.params} if self.params else self.name


def _defaults(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Each field's default, so the dataclasses below declare none of their own."""
    return {f.name: f.default for f in fields}


_ES, _DATA, _TRAIN = _defaults(EARLY_STOPPING_FIELDS), _defaults(DATA_FIELDS), _defaults(TRAIN_FIELDS)
_ADV = _defaults(ADVERSARIAL_FIELDS)
#: The loss and optimizer used when ``train:`` names none.
DEFAULT_LOSS, DEFAULT_OPTIMIZER = "cross_entropy", "adam"


@dataclass(frozen=True)
class EarlyStopping:
    patience: int = _ES["patience"]
    monitor: str = _ES["monitor"]
    min_delta: float = _ES["min_delta"]
    restore_best: bool = _ES["restore_best"]


@dataclass(frozen=True)
class Adversarial:
    """``train.adversarial``: replace ``fraction`` of every batch by its FGSM (or PGD) version at ``eps``."""

    eps: float = _ADV["eps"]
    fraction: float = _ADV["fraction"]
    method: str = _ADV["method"]
    steps: int = _ADV["steps"]

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in ADVERSARIAL_FIELDS}
        if self.method != "pgd":
            out.pop("steps")
        return out


@dataclass(frozen=True)
class DataConfig:
    name: str = _DATA["name"]
    root: str | None = _DATA["root"]
    download: bool = _DATA["download"]
    val_split: float = _DATA["val_split"]
    fallback: str | None = _DATA["fallback"]
    num_samples: int | None = _DATA["num_samples"]
    path: str | None = _DATA["path"]
    label: str = _DATA["label"]
    subset: int | None = _DATA["subset"]
    augment: list[str] | None = _DATA["augment"]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in DATA_FIELDS}


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = _TRAIN["epochs"]
    batch_size: int = _TRAIN["batch_size"]
    loss: Named = Named(DEFAULT_LOSS)
    optimizer: Named = Named(DEFAULT_OPTIMIZER)
    weight_decay: float = _TRAIN["weight_decay"]
    scheduler: Named | None = None
    early_stopping: EarlyStopping | None = None
    seed: int = _TRAIN["seed"]
    device: str = _TRAIN["device"]
    threads: int = _TRAIN["threads"]
    log_every: int = _TRAIN["log_every"]
    channels_last: bool | None = _TRAIN["channels_last"]
    split_batch: bool | None = _TRAIN["split_batch"]
    limit_batches: int | None = _TRAIN["limit_batches"]
    grad_clip: float | None = _TRAIN["grad_clip"]
    checkpoints: bool = _TRAIN["checkpoints"]
    adversarial: Adversarial | None = None
    log_to: list[str] | None = _TRAIN["log_to"]
    precision: str = _TRAIN["precision"]
    compile: bool = _TRAIN["compile"]
    deterministic: bool = _TRAIN["deterministic"]
    tf32: bool | None = _TRAIN["tf32"]
    strategy: str | None = _TRAIN["strategy"]

    def to_dict(self) -> dict[str, Any]:
        """The YAML ``train:`` mapping: epochs and batch size, loss and optimizer, the other plain fields,
        then scheduler and early stopping."""
        out: dict[str, Any] = {"epochs": self.epochs, "batch_size": self.batch_size,
                               "loss": self.loss.to_yaml_value(),
                               "optimizer": {"name": self.optimizer.name, **self.optimizer.params}}
        for f in TRAIN_FIELDS:
            out.setdefault(f.name, getattr(self, f.name))
        out["scheduler"] = self.scheduler.to_yaml_value() if self.scheduler else None
        out["early_stopping"] = (
            {f.name: getattr(self.early_stopping, f.name) for f in EARLY_STOPPING_FIELDS}
            if self.early_stopping else None)
        if self.adversarial is not None:  # written only when set: files without it stay as they were
            out["adversarial"] = self.adversarial.to_dict()
        return out
