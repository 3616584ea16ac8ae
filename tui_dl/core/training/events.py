"""Training events: plain frozen records (ints, floats, strings, lists) that the trainer yields.

Batch mode prints them (or writes them as JSON lines); the app's worker posts them to the UI as
messages. ``event_to_dict`` gives the JSON form, with ``"event"`` naming the kind.

The records are written to a run folder (``events.jsonl``, ``metrics.jsonl``) and never depend on the language:
a text meant for people (a :class:`Notice`'s message, a :class:`Diverged` event's advice) is stored in English,
with the English source it was made from (``msgid``, marked with ``N_``) and the values of its placeholders
(``args``). :func:`notice_text` and :func:`advice_text` translate it where it is shown, so a run trained in
Chinese reads in English and the other way round; an old record with no ``msgid`` shows its stored text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tui_dl.core.i18n import _


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
    message: str                # the English text (what --jsonl and events.jsonl hold)
    msgid: str = ""             # the English source ``message`` was formatted from; "" for a text made elsewhere
    args: dict = field(default_factory=dict)  # the values of msgid's {placeholders} (numbers, names, paths)
    kind: str = field(default="notice", init=False)

    def __post_init__(self):  # Notice(level, english(N_("..."), ...)): keep its source and values
        if isinstance(self.message, English):
            object.__setattr__(self, "msgid", self.message.msgid)
            object.__setattr__(self, "args", dict(self.message.args))
            object.__setattr__(self, "message", str(self.message))


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
    advice: str                 # in English; advice_text(event) shows it in the language spoken
    advice_msgid: str = ""      # the English source of ``advice`` ("" in older runs)
    advice_args: dict = field(default_factory=dict)
    kind: str = field(default="diverged", init=False)

    def __post_init__(self):
        if isinstance(self.advice, English):
            object.__setattr__(self, "advice_msgid", self.advice.msgid)
            object.__setattr__(self, "advice_args", dict(self.advice.args))
            object.__setattr__(self, "advice", str(self.advice))


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


def _english(msgid: str, args: dict) -> str:
    return msgid.format(**args) if args else msgid


class English(str):
    """An English text that remembers the source it was formatted from (``msgid``, marked with ``N_``) and its
    placeholders' values (``args``). It is a plain ``str`` everywhere (tests, ``--jsonl``); a :class:`Notice` or a
    :class:`Diverged` event made with one stores ``msgid`` and ``args`` too, for :func:`notice_text`."""

    msgid: str
    args: dict

    def __new__(cls, msgid: str, **args):
        self = super().__new__(cls, _english(msgid, args))
        # an argument that is itself an English text (a hint inside an advice) is kept as its source and values
        self.msgid, self.args = msgid, {k: ({"msgid": v.msgid, "args": dict(v.args)} if isinstance(v, English) else v)
                                        for k, v in args.items()}
        return self

    def __reduce__(self):  # (copy.deepcopy and dataclasses.asdict too): the same text, source and values
        return (_stored_english, (str(self), self.msgid, self.args))

    @classmethod
    def stored(cls, text: str, msgid: str, args: dict) -> "English":
        """The English ``text`` as it was stored, with the source and values it was made from (``args`` as
        ``Notice.args`` holds them)."""
        self = super().__new__(cls, text)
        self.msgid, self.args = msgid, dict(args)
        return self


def _stored_english(text: str, msgid: str, args: dict) -> English:
    return English.stored(text, msgid, args)


def english(msgid: str, **args) -> English:
    """``English(msgid, **args)``: ``english(N_("ran {n} steps"), n=3)`` is "ran 3 steps", shown translated."""
    return English(msgid, **args)


def localized(text: str, msgid: str = "", args: dict | None = None) -> str:
    """A stored text in the language spoken now: ``msgid`` translated and filled with ``args``; the stored
    ``text`` translated as it is where there is no ``msgid`` (a record of an older run, or one made elsewhere),
    and ``text`` itself where the translation or the arguments do not fit (an edited file)."""
    if msgid:
        try:
            values = {k: localized("", v["msgid"], v.get("args")) if isinstance(v, dict) else v
                      for k, v in (args or {}).items()}
            return _(msgid).format(**values)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            return text or msgid
    return _(text) if text else text


def _get(rec, name: str, default=None):
    return rec.get(name, default) if isinstance(rec, dict) else getattr(rec, name, default)


def notice_text(rec) -> str:
    """The message of a notice (a :class:`Notice`, or its dict from ``events.jsonl``) in the language spoken."""
    return localized(_get(rec, "message", "") or "", _get(rec, "msgid", "") or "", _get(rec, "args") or {})


def advice_text(rec) -> str:
    """The advice of a :class:`Diverged` event (or its dict) in the language spoken."""
    return localized(_get(rec, "advice", "") or "", _get(rec, "advice_msgid", "") or "",
                     _get(rec, "advice_args") or {})


def event_to_dict(event) -> dict:
    d = asdict(event)
    d["event"] = d.pop("kind")
    return d


#: The largest count (epoch, step, size...) a replayed event may hold: more is a damaged or hostile file.
MAX_COUNT = 10**9
_NON_FINITE = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}


def _scalar(x) -> bool:
    return x is None or isinstance(x, (str, int, float, bool))


def _text_args(v, nested: bool) -> bool:
    """Whether ``v`` is a stored text's ``args``: names to numbers or text (or, one level deep, to a text of
    its own: ``{"msgid": ..., "args": {...}}``)."""
    return isinstance(v, dict) and len(v) <= 64 and all(
        isinstance(k, str) and (_scalar(x) or (nested and isinstance(x, dict) and isinstance(x.get("msgid"), str)
                                               and _text_args(x.get("args", {}), nested=False)))
        for k, x in v.items())


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
    elif kind == "dict":  # the placeholders' values of a stored text: names and numbers, nothing deeper
        if _text_args(v, nested=True):
            return dict(v)
    else:
        return v
    raise ValueError(_("{name}: {value} is not {kind}").format(name=name, value=f"{v!r:.40}", kind=kind))


def event_from_dict(d: dict):
    """Inverse of :func:`event_to_dict` (used to replay ``metrics.jsonl`` of a past run). Every field is checked
    against its declared kind (a number for a float, a count for an int, ...; "nan"/"inf" become floats): a line
    of a damaged or edited file raises ValueError (or KeyError/TypeError), never an event that breaks a plot."""
    if not isinstance(d, dict):
        raise ValueError(_("an event is a JSON object, not {kind}").format(kind=type(d).__name__))
    d = dict(d)
    cls = EVENT_TYPES[d.pop("event")]
    fields = cls.__dataclass_fields__
    return cls(**{k: _value(v, str(fields[k].type), k) for k, v in d.items() if k in fields and k != "kind"})
