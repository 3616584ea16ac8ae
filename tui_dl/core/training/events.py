"""Training events: plain frozen records (ints, floats, strings, lists) that the trainer yields.

Batch mode prints them (or writes them as JSON lines); the app's worker posts them to the UI as
messages. ``event_to_dict`` gives the JSON form, with ``"event"`` naming the kind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class RunStarted:
    name: str
    run_dir: str
    device: str                 # "cpu", "cuda:0", "mps"
    device_name: str            # "NVIDIA H100 80GB HBM3" or "CPU (2 cores, 2 threads)"
    dataset: str                # dataset actually used
    train_size: int
    val_size: int
    test_size: int
    epochs: int
    steps_per_epoch: int
    params: int
    start_epoch: int = 1        # > 1 when resumed
    resumed_from: str = ""
    fallback_reason: str = ""   # non-empty when the fallback dataset replaced the requested one
    threads: int = 0
    provenance: dict = field(default_factory=dict)  # argv, --set, source, config hash, host, versions (core/runs/provenance)
    kind: str = field(default="started", init=False)


@dataclass(frozen=True)
class StepDone:
    epoch: int
    step: int                   # global step, 1-based
    batch: int                  # step within the epoch, 1-based
    batches: int                # steps per epoch
    loss: float                 # mean training loss since the previous StepDone
    lr: float
    images_per_second: float
    elapsed: float              # seconds since the run started
    eta: float                  # seconds left (estimate)
    #: per-layer gradient statistics of this step (core/training/grad_stats.py): one dict per layer with
    #: parameters ({"layer", "name", "grad_norm", "grad_max", "update_ratio"}) and per ReLU
    #: ({"layer", "name", "dead_share"}); [] in runs from before they were recorded
    layers: list[dict] = field(default_factory=list)
    kind: str = field(default="step", init=False)


@dataclass(frozen=True)
class EpochDone:
    epoch: int
    epochs: int
    step: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float | None
    val_accuracy: float | None
    lr: float
    seconds: float
    images_per_second: float
    is_best: bool = False
    kind: str = field(default="epoch", init=False)


@dataclass(frozen=True)
class CheckpointSaved:
    path: str
    epoch: int
    step: int
    reason: str                 # "last", "best", "interrupted", "diverged"
    kind: str = field(default="checkpoint", init=False)


@dataclass(frozen=True)
class Notice:
    level: str                  # "info", "warning", "error"
    message: str
    kind: str = field(default="notice", init=False)


@dataclass(frozen=True)
class EarlyStopped:
    epoch: int
    best_epoch: int
    monitor: str
    best_value: float
    patience: int
    kind: str = field(default="early_stop", init=False)


@dataclass(frozen=True)
class Diverged:
    epoch: int
    step: int
    loss: float
    first_loss: float
    reason: str                 # "nan", "inf", "exploded", "below_minimum" (a loss under its lowest possible value)
    advice: str
    kind: str = field(default="diverged", init=False)


@dataclass(frozen=True)
class Finished:
    status: str                 # "completed", "early_stopped", "stopped", "diverged"
    run_dir: str
    epochs_run: int
    steps: int
    seconds: float
    train_images_per_second: float
    best_epoch: int | None = None           # the epoch with the best monitor value (the one best.pt holds)
    best_val_loss: float | None = None      # val loss at best_epoch
    best_val_accuracy: float | None = None  # val accuracy AT best_epoch (not the highest: see highest_val_accuracy)
    test_loss: float | None = None
    test_accuracy: float | None = None
    per_class_accuracy: list[float] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    monitor: str = ""                       # what best_epoch is best by ("val_loss", ...); "" in older runs
    monitor_mode: str = ""                  # "min" or "max"
    monitor_source: str = ""                # why: "early_stopping" (its monitor), "default", "fallback"
    val_accuracy_at_best: float | None = None       # = best_val_accuracy, named for what it is
    highest_val_accuracy: float | None = None       # the highest val accuracy of any epoch
    highest_val_accuracy_epoch: int | None = None
    best_checkpoint: str = ""               # the path of best.pt ("" when checkpoints are off)
    kind: str = field(default="finished", init=False)


TrainEvent = RunStarted | StepDone | EpochDone | CheckpointSaved | Notice | EarlyStopped | Diverged | Finished

EVENT_TYPES = {cls.__dataclass_fields__["kind"].default: cls
               for cls in (RunStarted, StepDone, EpochDone, CheckpointSaved, Notice, EarlyStopped, Diverged, Finished)}


def event_to_dict(event) -> dict:
    d = asdict(event)
    d["event"] = d.pop("kind")
    return d


#: The largest count (epoch, step, size...) a replayed event may hold: more is a damaged or hostile file.
MAX_COUNT = 10**9
_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def _value(v, kind: str, name: str):
    """``v`` as the field's declared ``kind`` ("int", "float | None", "list[float]"...), or ValueError naming it."""
    if kind.endswith(" | None"):
        return None if v is None else _value(v, kind[:-7], name)
    if kind == "float":
        if isinstance(v, str) and v in _NON_FINITE:  # the run folder writes NaN/inf as text (JSON has none)
            return _NON_FINITE[v]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    elif kind == "int":
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_COUNT:
            return v
    elif kind in ("str", "bool"):
        if isinstance(v, str if kind == "str" else bool):
            return v
    elif kind.startswith("list[") and kind.endswith("]"):
        if isinstance(v, list) and len(v) <= MAX_COUNT // 1000:
            return [_value(x, kind[5:-1], name) for x in v]
    else:
        return v
    raise ValueError(f"{name}: {v!r:.40} is not {kind}")


def event_from_dict(d: dict):
    """Inverse of :func:`event_to_dict` (used to replay ``metrics.jsonl`` of a past run). Every field is checked
    against its declared kind (a number for a float, a count for an int, ...; "nan"/"inf" become floats): a line
    of a damaged or edited file raises ValueError (or KeyError/TypeError), never an event that breaks a plot."""
    if not isinstance(d, dict):
        raise ValueError(f"an event is a JSON object, not {type(d).__name__}")
    d = dict(d)
    cls = EVENT_TYPES[d.pop("event")]
    fields = cls.__dataclass_fields__
    return cls(**{k: _value(v, str(fields[k].type), k) for k, v in d.items() if k in fields and k != "kind"})
