"""Every field of a loaded checkpoint checked before anything uses it: its kind (a dict, a list, an int...), the
tensors' dtypes and shapes where they are fixed, and the entries that must agree with each other (the best
weights with the weights, the epoch's running sums with its step count). A checkpoint that was edited, written
by other code or damaged in a way its checksums do not catch fails here with the one message
``PATH: this checkpoint is damaged: FIELD ...``, instead of a traceback from deep inside torch later.

Fields a checkpoint of an older tui-dl lacks are allowed to be missing (``load_checkpoint`` requires ``model``,
``spec`` and ``experiment``; a resume also needs the fields of :data:`RESUME_NEEDS`).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

from tui_dl.core.i18n import N_, _

__all__ = ["CheckpointError", "DamagedCheckpoint", "check_checkpoint", "check_resumable", "damaged", "RESUME_NEEDS", "STATUSES"]

#: What a resume reads besides the weights (``TrainState.from_checkpoint``).
RESUME_NEEDS = ("position", "step", "shuffle_state", "rng")
STATUSES = ("running", "interrupted", "completed", "early_stopped", "diverged", "stopped")


class CheckpointError(Exception):
    """A checkpoint that cannot be used: missing, damaged, not ours, or unsafe. ``str(e)`` says which.
    (Defined here so that this module needs nothing from :mod:`~tui_dl.core.runs.checkpoint`, which re-exports
    it.)"""


class DamagedCheckpoint(ValueError):
    """One field of a checkpoint is wrong: ``field`` names it (``optimizer.param_groups[0].lr``)."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field} {problem}")
        self.field, self.problem = field, problem


def damaged(path, field: str, problem: str, *, advice: str | None = None) -> str:
    """The message for a damaged ``field`` of the checkpoint at ``path``."""
    advice = advice or _("Use another checkpoint of the run (best.pt or last.pt), or train again; tui-dl never "
                         "repairs a checkpoint by guessing")
    # TRANSLATORS: {field} names the entry (optimizer.param_groups[0].lr, a code word), {problem} says what is
    # wrong with it (_("is missing"), "should be an integer, but it is text"), {advice} what to do
    return _("{path}: this checkpoint is damaged: {field} {problem}. {advice}.").format(
        path=path, field=field, problem=problem, advice=advice)


# ----------------------------------------------------------------------------- kinds


def _kind(v: Any) -> str:
    if v is None:
        return _("nothing (null)")
    if isinstance(v, torch.Tensor):
        return _("a tensor of shape {shape}").format(shape=list(v.shape))
    kind = _KINDS.get(type(v))
    return _(kind) if kind else type(v).__name__


#: What a value of each type is called in a message ("should be a number, but it is text").
_KINDS = {bool: N_("true/false"), int: N_("an integer"), float: N_("a number"), str: N_("text"), list: N_("a list"),
          tuple: N_("a list"), dict: N_("a mapping")}


def _int(v, field, *, low: int | None = 0, none: bool = False):
    if v is None and none:
        return
    if not isinstance(v, int) or isinstance(v, bool):
        raise DamagedCheckpoint(field, _("should be an integer, but it is {kind}").format(kind=_kind(v)))
    if low is not None and v < low:
        raise DamagedCheckpoint(field, _("should be at least {low}, but it is {value}").format(low=low, value=v))


def _num(v, field, *, none: bool = False, finite: bool = False):
    if v is None and none:
        return
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise DamagedCheckpoint(field, _("should be a number, but it is {kind}").format(kind=_kind(v)))
    if finite and not math.isfinite(v):
        raise DamagedCheckpoint(field, _("should be a finite number, but it is {value}").format(value=v))


def _str(v, field, *, choices=None, none: bool = False):
    if v is None and none:
        return
    if not isinstance(v, str):
        raise DamagedCheckpoint(field, _("should be text, but it is {kind}").format(kind=_kind(v)))
    if choices is not None and v not in choices:
        raise DamagedCheckpoint(field, _("is {value}, which is not one of {choices}").format(value=repr(v), choices=", ".join(choices)))


def _dict(v, field, *, none: bool = False) -> bool:
    """True when ``v`` is a dict to look into."""
    if v is None and none:
        return False
    if not isinstance(v, dict):
        raise DamagedCheckpoint(field, _("should be a mapping, but it is {kind}").format(kind=_kind(v)))
    return True


def _list(v, field, *, none: bool = False, item: Callable[[Any, str], None] | None = None) -> bool:
    if v is None and none:
        return False
    if not isinstance(v, (list, tuple)):
        raise DamagedCheckpoint(field, _("should be a list, but it is {kind}").format(kind=_kind(v)))
    if item is not None:
        for i, x in enumerate(v):
            item(x, f"{field}[{i}]")
    return True


def _tensor(v, field, *, dtype: torch.dtype | None = None, ndim: int | None = None, floating: bool = False):
    if not isinstance(v, torch.Tensor):
        raise DamagedCheckpoint(field, _("should be a tensor, but it is {kind}").format(kind=_kind(v)))
    if dtype is not None and v.dtype != dtype:
        raise DamagedCheckpoint(field, _("should be a {dtype} tensor, but it is {actual}").format(
            dtype=str(dtype).replace("torch.", ""), actual=str(v.dtype).replace("torch.", "")))
    if ndim is not None and v.dim() != ndim:
        raise DamagedCheckpoint(field, _("should be a tensor with {ndim} dimension(s), but its shape is {shape}").format(
            ndim=ndim, shape=list(v.shape)))
    if floating and not v.is_floating_point():
        raise DamagedCheckpoint(field, _("should hold floating-point weights, but it is {dtype}").format(dtype=v.dtype))


def _weights(v, field):
    _dict(v, field)
    for k, t in v.items():
        if not isinstance(k, str):
            raise DamagedCheckpoint(field, _("has the key {key}, which is not a layer's weight name").format(key=repr(k)))
        if not isinstance(t, torch.Tensor):
            raise DamagedCheckpoint(f"{field}.{k}", _("should be a tensor, but it is {kind}").format(kind=_kind(t)))


# ----------------------------------------------------------------------------- the fields


def _optimizer(v, field="optimizer"):
    if not _dict(v, field, none=True):
        return
    for key in ("state", "param_groups"):
        if key not in v:
            raise DamagedCheckpoint(f"{field}.{key}", _("is missing"))
    _dict(v["state"], f"{field}.state")
    for k, st in v["state"].items():
        f = f"{field}.state.{k}"
        _int(k, f"{field}.state (a key)")
        _dict(st, f)
        for name, x in st.items():
            if x is not None and (not isinstance(x, (torch.Tensor, int, float)) or isinstance(x, bool)):
                raise DamagedCheckpoint(f"{f}.{name}", _("should be a tensor or a number, but it is {kind}").format(kind=_kind(x)))
    groups = v["param_groups"]
    _list(groups, f"{field}.param_groups")
    if not groups:
        raise DamagedCheckpoint(f"{field}.param_groups", _("is empty (the optimizer needs its parameter group)"))
    seen: set[int] = set()
    for i, g in enumerate(groups):
        f = f"{field}.param_groups[{i}]"
        _dict(g, f)
        if "params" not in g:
            raise DamagedCheckpoint(f"{f}.params", _("is missing"))
        _list(g["params"], f"{f}.params", item=lambda x, ff: _int(x, ff))
        if seen & set(g["params"]):
            raise DamagedCheckpoint(f"{f}.params", _("names a parameter that another group names too"))
        seen |= set(g["params"])
        if "lr" not in g:
            raise DamagedCheckpoint(f"{f}.lr", _("is missing"))
        _num(g["lr"], f"{f}.lr", finite=True)
        for name, x in g.items():
            if name in ("params", "lr"):
                continue
            if isinstance(x, (dict, torch.Tensor)) and name != "lr":
                raise DamagedCheckpoint(f"{f}.{name}", _("should be a setting (a number, text or a list), but it is {kind}").format(
                    kind=_kind(x)))
            if isinstance(x, (list, tuple)):
                _list(x, f"{f}.{name}", item=lambda y, ff: _num(y, ff))
    unknown = [k for k in v["state"] if k not in seen]
    if unknown:
        raise DamagedCheckpoint(f"{field}.state.{unknown[0]}", _("belongs to no parameter of the optimizer's groups"))


def _scheduler(v, field="scheduler"):
    if not _dict(v, field, none=True):
        return
    for k, x in v.items():
        if k in ("base_lrs", "_last_lr"):
            _list(x, f"{field}.{k}", item=lambda y, ff: _num(y, ff))
        elif k in ("last_epoch", "_step_count"):
            _int(x, f"{field}.{k}", low=-1)
        elif isinstance(x, torch.Tensor):
            raise DamagedCheckpoint(f"{field}.{k}", _("should be a setting, but it is {kind}").format(kind=_kind(x)))


def _rng(v, field="rng"):
    _dict(v, field)
    for key in ("torch", "python", "numpy"):
        if key not in v:
            raise DamagedCheckpoint(f"{field}.{key}", _("is missing"))
    _tensor(v["torch"], f"{field}.torch", dtype=torch.uint8, ndim=1)
    py = v["python"]
    _list(py, f"{field}.python")
    if len(py) != 3:
        raise DamagedCheckpoint(f"{field}.python", _("should hold {want} entries, but it holds {have}").format(want=3, have=len(py)))
    _int(py[0], f"{field}.python[0]")
    _list(py[1], f"{field}.python[1]", item=lambda x, ff: _int(x, ff))
    if len(py[1]) != 625:
        raise DamagedCheckpoint(f"{field}.python[1]", _("should hold {want} numbers, but it holds {have}").format(want=625, have=len(py[1])))
    _num(py[2], f"{field}.python[2]", none=True)
    npy = v["numpy"]
    _list(npy, f"{field}.numpy")
    if len(npy) != 5:
        raise DamagedCheckpoint(f"{field}.numpy", _("should hold {want} entries, but it holds {have}").format(want=5, have=len(npy)))
    _str(npy[0], f"{field}.numpy[0]", choices=("MT19937",))
    _list(npy[1], f"{field}.numpy[1]", item=lambda x, ff: _int(x, ff))
    if len(npy[1]) != 624:
        raise DamagedCheckpoint(f"{field}.numpy[1]", _("should hold {want} numbers, but it holds {have}").format(want=624, have=len(npy[1])))
    _int(npy[2], f"{field}.numpy[2]")
    _int(npy[3], f"{field}.numpy[3]")
    _num(npy[4], f"{field}.numpy[4]")
    if "cuda" in v:
        _list(v["cuda"], f"{field}.cuda", item=lambda x, ff: _tensor(x, ff, dtype=torch.uint8, ndim=1))


def _position(v, field="position"):
    _dict(v, field)
    for key, low in (("epoch", 1), ("batch", 0)):
        if key not in v:
            raise DamagedCheckpoint(f"{field}.{key}", _("is missing"))
        _int(v[key], f"{field}.{key}", low=low)


def _epoch_state(v, field="epoch_state"):
    """The epoch in progress (what is there: :func:`check_resumable` asks for all of it when resuming)."""
    if not _dict(v, field, none=True):
        return
    if "nb" in v:
        _int(v["nb"], f"{field}.nb", low=1)
    for key in ("losses", "correct"):
        if key in v:
            _tensor(v[key], f"{field}.{key}", ndim=1, floating=key == "losses")
            if isinstance(v.get("nb"), int) and v[key].shape[0] != v["nb"]:
                raise DamagedCheckpoint(f"{field}.{key}", _("should hold {want} values (one per step), but it holds {have}").format(
                    want=v["nb"], have=v[key].shape[0]))
    if "last_log" in v:
        _int(v["last_log"], f"{field}.last_log")
    if "seconds" in v:
        _num(v["seconds"], f"{field}.seconds")


_HISTORY_NUMBERS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "images_per_second")


def _history(v, field="history"):
    _list(v, field)
    last = 0
    for i, h in enumerate(v):
        f = f"{field}[{i}]"
        _dict(h, f)
        if "epoch" not in h:
            raise DamagedCheckpoint(f"{f}.epoch", _("is missing"))
        _int(h["epoch"], f"{f}.epoch", low=1)
        if h["epoch"] <= last:
            raise DamagedCheckpoint(f"{f}.epoch", _("is {epoch}, after epoch {last}: the epochs are out of order").format(
                epoch=h["epoch"], last=last))
        last = h["epoch"]
        _int(h.get("step", 0), f"{f}.step")
        for key in _HISTORY_NUMBERS:
            _num(h.get(key), f"{f}.{key}", none=True)


def _best(v, field="best"):
    if not _dict(v, field, none=True):
        return
    _str(v.get("monitor"), f"{field}.monitor", none=True)
    _num(v.get("value"), f"{field}.value", none=True)
    _int(v.get("epoch"), f"{field}.epoch", none=True)
    _int(v.get("bad_epochs", 0), f"{field}.bad_epochs")


def _early_stopping(v, field="early_stopping"):
    if not _dict(v, field, none=True):
        return
    _num(v.get("best"), f"{field}.best", none=True)
    _int(v.get("best_epoch"), f"{field}.best_epoch", none=True)
    _int(v.get("bad_epochs", 0), f"{field}.bad_epochs")
    _int(v.get("patience", 0), f"{field}.patience")
    _str(v.get("monitor"), f"{field}.monitor", none=True)


def _inference(v, field="inference"):
    """What predict and export feed the network (``inference_facts``); an older checkpoint has none at all."""
    if not _dict(v, field, none=True):
        return
    for key in ("input_shape", "classes", "input_dtype", "mean", "std"):
        if key not in v:
            raise DamagedCheckpoint(f"{field}.{key}", _("is missing"))
    _list(v["input_shape"], f"{field}.input_shape", item=lambda x, ff: _int(x, ff, low=1))
    _list(v["classes"], f"{field}.classes", item=lambda x, ff: _str(x, ff))
    _str(v["input_dtype"], f"{field}.input_dtype", choices=("uint8", "float32"))
    for key in ("mean", "std"):
        _list(v[key], f"{field}.{key}", item=lambda x, ff: _num(x, ff, finite=True))
    if len(v["mean"]) != len(v["std"]):
        raise DamagedCheckpoint(f"{field}.std", _("holds {n} values, but mean holds {mean}").format(
            n=len(v["std"]), mean=len(v["mean"])))
    if any(s == 0 for s in v["std"]):
        raise DamagedCheckpoint(f"{field}.std", _("holds a 0 (images would be divided by zero)"))
    if "scale" in v:
        _num(v["scale"], f"{field}.scale", finite=True)
    for key in ("input_dtype", "normalization"):
        _str(v.get(key), f"{field}.{key}", none=True)


def _experiment(v, field="experiment"):
    """The outline only (what predict and export read without validating it); the full check is
    ``experiment_from_checkpoint``, on resume and attack."""
    _dict(v, field)
    for key, check in (("name", _str), ("data", _dict), ("train", _dict), ("layers", _list), ("input", _list)):
        if key in v:
            check(v[key], f"{field}.{key}", none=key == "name")


def _dataset(v, field="dataset"):
    if not _dict(v, field, none=True):
        return
    _str(v.get("name"), f"{field}.name", none=True)
    for key in ("train_size", "val_size", "test_size"):
        _int(v.get(key), f"{field}.{key}", none=True)
    if v.get("classes") is not None:
        _list(v["classes"], f"{field}.classes", item=lambda x, ff: _str(x, ff))
    _str(v.get("fallback_reason"), f"{field}.fallback_reason", none=True)


#: field → its check; a field missing from the checkpoint is not checked here.
FIELDS: dict[str, Callable[[Any], None]] = {
    "format_version": lambda v: _int(v, "format_version"),
    "tui_dl_version": lambda v: _str(v, "tui_dl_version"),
    "torch_version": lambda v: _str(v, "torch_version"),
    "model": lambda v: _weights(v, "model"),
    "optimizer": _optimizer,
    "scheduler": _scheduler,
    "rng": _rng,
    "shuffle_state": lambda v: _tensor(v, "shuffle_state", dtype=torch.uint8, ndim=1),
    "position": _position,
    "epoch_state": _epoch_state,
    "epoch": lambda v: _int(v, "epoch"),
    "epochs_completed": lambda v: _int(v, "epochs_completed"),
    "step": lambda v: _int(v, "step"),
    "status": lambda v: _str(v, "status", choices=STATUSES),
    "ref_loss": lambda v: _num(v, "ref_loss", none=True),
    "history": _history,
    "best": _best,
    "early_stopping": _early_stopping,
    "best_model": lambda v: v is None or _weights(v, "best_model"),
    "elapsed": lambda v: _num(v, "elapsed"),
    "train_images": lambda v: _int(v, "train_images"),
    "train_seconds": lambda v: _num(v, "train_seconds"),
    "threads": lambda v: _int(v, "threads", low=1),
    "lanes": lambda v: _int(v, "lanes", low=1),
    "spec": lambda v: _dict(v, "spec"),
    "experiment": _experiment,
    "dataset": _dataset,
    "inference": _inference,
}


def check_fields(ck: dict[str, Any]) -> None:
    """Raise :class:`DamagedCheckpoint` for the first field of ``ck`` that is not what tui-dl writes."""
    for key, check in FIELDS.items():
        if key in ck:
            check(ck[key])
    model, best = ck.get("model"), ck.get("best_model")
    if isinstance(best, dict) and isinstance(model, dict):
        for k, t in best.items():
            if k not in model:
                raise DamagedCheckpoint(f"best_model.{k}", _("is a weight the network does not have"))
            if t.shape != model[k].shape:
                raise DamagedCheckpoint(f"best_model.{k}", _("has the shape {shape}, but the weight has {want}").format(
                    shape=list(t.shape), want=list(model[k].shape)))
    hist, done = ck.get("history"), ck.get("epochs_completed")
    if isinstance(hist, list) and isinstance(done, int) and len(hist) != done:
        raise DamagedCheckpoint("history", _("holds {n} epochs, but epochs_completed says {done}").format(
            n=len(hist), done=done))
    if isinstance(hist, list):
        epochs = [h["epoch"] for h in hist]
        if epochs != list(range(1, len(epochs) + 1)):
            raise DamagedCheckpoint("history", _("holds the epochs {epochs}, not 1 to {n}").format(
                epochs=f"{epochs[:6]}{'...' if len(epochs) > 6 else ''}", n=len(epochs)))
        pos = ck.get("position")
        if isinstance(pos, dict) and pos.get("epoch") != len(epochs) + 1:
            raise DamagedCheckpoint("position.epoch", _("is {epoch}, but the history ends at epoch {last} (the next "
                                                        "epoch is {next})").format(
                epoch=pos.get("epoch"), last=len(epochs), next=len(epochs) + 1))


def check_checkpoint(ck: dict[str, Any], path) -> None:
    """:func:`check_fields`, as the :class:`CheckpointError` ``load_checkpoint`` raises."""
    try:
        check_fields(ck)
    except DamagedCheckpoint as e:
        raise CheckpointError(damaged(path, e.field, e.problem)) from None


def check_resumable(ck: dict[str, Any], path) -> None:
    """The fields a resume needs are there (a checkpoint for inference only may lack them)."""
    for key in RESUME_NEEDS:
        if key not in ck:
            raise CheckpointError(damaged(path, key, _("is missing (it is needed to resume the run)")))
    st = ck.get("epoch_state")
    if ck["position"]["batch"] > 0 and st is not None:  # resuming mid-epoch: the epoch's sums are all needed
        for key in ("losses", "correct", "last_log", "seconds", "nb"):
            if key not in st:
                raise CheckpointError(damaged(path, f"epoch_state.{key}", _("is missing (it is needed to resume in the middle of "
                                                                "the epoch)")))


#: Optimizer settings that may differ from a fresh optimizer's: the learning rate (a scheduler moves it) and the
#: implementation flags, which depend on the device.
_FREE_SETTINGS = ("lr", "initial_lr", "fused", "foreach", "capturable")


def _same_kind(a, b) -> bool:
    num = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, num) and isinstance(b, num):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same_kind(x, y) for x, y in zip(a, b))
    return type(a) is type(b)


def _plain(v):
    return list(v) if isinstance(v, tuple) else v


def check_optimizer_fits(saved: dict[str, Any] | None, optimizer, path) -> None:
    """The optimizer's saved state fits the run's optimizer (``optimizer``, fresh from the experiment): one
    parameter group with the same settings (the learning rate and the device-dependent flags aside), one index
    per parameter, each parameter's state with the same entries as the others' and tensors shaped like its
    parameter. torch's ``load_state_dict`` checks none of this: a wrong value fails at the first step, deep
    inside the optimizer."""
    if not saved:
        return
    fresh = optimizer.state_dict()
    params = [p for g in optimizer.param_groups for p in g["params"]]

    def fail(field, problem):
        raise CheckpointError(damaged(path, field, problem))

    groups = saved["param_groups"]
    if len(groups) != len(fresh["param_groups"]):
        fail("optimizer.param_groups", _("holds {n} groups, but the run's optimizer has {want}").format(
            n=len(groups), want=len(fresh["param_groups"])))
    for i, (g, f) in enumerate(zip(groups, fresh["param_groups"])):
        field = f"optimizer.param_groups[{i}]"
        if len(g["params"]) != len(f["params"]):
            fail(f"{field}.params", _("names {n} parameters, but the network has {want}").format(
                n=len(g["params"]), want=len(f["params"])))
        for key in f:
            if key == "params":
                continue
            if key not in g:
                fail(f"{field}.{key}", _("is missing"))
            if key in _FREE_SETTINGS:
                if not (_same_kind(g[key], f[key]) or g[key] is None or f[key] is None):
                    fail(f"{field}.{key}", _("should be {want}, but it is {kind}").format(want=_kind(f[key]), kind=_kind(g[key])))
            elif _plain(g[key]) != _plain(f[key]):
                fail(f"{field}.{key}", _("is {value}, but the run's experiment sets {want}").format(
                    value=repr(g[key]), want=repr(f[key])))
        extra = [k for k in g if k not in f]
        if extra:
            fail(f"{field}.{extra[0]}", _("is not a setting of this optimizer"))
    indices = [i for g in groups for i in g["params"]]
    if sorted(indices) != list(range(len(params))):
        fail("optimizer.param_groups", _("name the parameters {indices}..., not 0…{last}").format(
            indices=sorted(indices)[:5], last=len(params) - 1))
    keys = None
    for i, st in saved["state"].items():
        if not 0 <= i < len(params):
            fail(f"optimizer.state.{i}", _("belongs to no parameter (the network has {n})").format(n=len(params)))
        if keys is not None and set(st) != keys:
            fail(f"optimizer.state.{i}", _("holds {keys}, but the other parameters' state holds {others}").format(
                keys=sorted(st), others=sorted(keys)))
        keys = set(st)
        for name, t in st.items():
            if isinstance(t, torch.Tensor) and t.dim() > 0 and t.shape != params[i].shape:
                fail(f"optimizer.state.{i}.{name}", _("has the shape {shape}, but its parameter has {want}").format(
                    shape=list(t.shape), want=list(params[i].shape)))
            if isinstance(t, torch.Tensor) and t.dim() == 0 and not t.is_floating_point():
                fail(f"optimizer.state.{i}.{name}", _("should be a floating-point tensor, but it is {dtype}").format(dtype=t.dtype))


def check_scheduler_fits(saved: dict[str, Any] | None, scheduler, path) -> None:
    """The scheduler's saved state has the entries of the run's scheduler, each of the same kind."""
    if scheduler is None or saved is None:
        return
    fresh = scheduler.state_dict()
    for key, f in fresh.items():
        if key not in saved:
            raise CheckpointError(damaged(path, f"scheduler.{key}", _("is missing")))
        if not (_same_kind(saved[key], f) or saved[key] is None or f is None):
            raise CheckpointError(damaged(path, f"scheduler.{key}", _("should be {want}, but it is {kind}").format(
                want=_kind(f), kind=_kind(saved[key]))))
