"""The runs of this session (and past runs opened from disk): curves, results, labels.

Plain Python (no Textual). The UI thread feeds events into a :class:`RunRecord`; the plots read
downsampled series from it.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_dl.core.training import events as E
from tui_dl.core.config.schema import OPTIMIZERS
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.training.diagnosis import Diagnoser
from tui_dl.core.training.rate import RateMeter
from tui_dl.app.grad_history import LayerHistory
from tui_dl.app.logfmt import format_event
from tui_dl.core.i18n import N_, _, ngettext

LOG_LINES = 2000
#: Step-loss points kept per run. Past this, the older points are averaged in pairs, so a 100-epoch run
#: holds as much memory as a 10-epoch one (the plots show at most a few hundred points anyway).
STEP_POINTS = 4000
SMOOTHING = 0.15  # EMA weight of the newest loss point
#: A step line goes to the log at most once per this many seconds of the run (and at each epoch's last step):
#: the plots show every step, and a log scrolling 15 lines a second costs the UI thread (and so training).
STEP_LOG_SECONDS = 1.0


@dataclass
class RunRecord:
    id: int
    name: str
    experiment: Experiment | None = None
    #: The label when there is nothing to compare with: the folder name of a run opened from disk (or "resumed
    #: <folder>"). ``compared`` is what tells it from the other runs ("sgd lr=0.01"), set by the runs table.
    tag: str = ""
    compared: str = ""
    status: str = "starting"
    run_dir: str = ""
    started: E.RunStarted | None = None
    step_x: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    smooth: list[float] = field(default_factory=list)
    epochs: list[E.EpochDone] = field(default_factory=list)
    finished: E.Finished | None = None
    early_stop: E.EarlyStopped | None = None
    diverged: E.Diverged | None = None
    notices: list[E.Notice] = field(default_factory=list)
    findings: dict[str, str] = field(default_factory=dict)
    diagnoser: Diagnoser = field(default_factory=Diagnoser, repr=False)
    last_step: E.StepDone | None = None
    #: Images per second over the last few seconds (core/training/rate.py; the step lines and the status bar
    #: show this, as --batch's progress line does).
    rate: float | None = None
    #: Where the run diverged on the step curve: (x in epochs, the loss there: NaN, inf or huge).
    diverged_at: tuple[float, float] | None = None
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    #: the per-layer gradient statistics of the logged steps (the Train view's gradients panel)
    grads: LayerHistory = field(default_factory=LayerHistory, repr=False)
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    _alpha: float | None = None
    _ema: float | None = None
    _step_logged_at: float = float("-inf")
    _rate: RateMeter = field(default_factory=RateMeter, repr=False)

    # ------------------------------------------------------------------ feeding
    def add(self, ev) -> list[str]:
        """Record one event; returns the log lines it produced (diagnoses included)."""
        lines = [] if isinstance(ev, E.StepDone) else format_event(ev)
        if isinstance(ev, E.StepDone):
            self.rate = self._rate.add(ev)
            lines = format_event(ev, self.rate)
            if self.last_step is not None and ev.batch < ev.batches and \
                    ev.elapsed - self._step_logged_at < STEP_LOG_SECONDS and ev.step > self.last_step.step:
                lines = []
            else:
                self._step_logged_at = ev.elapsed
            if self.last_step is not None and self._alpha is None and ev.step > self.last_step.step:
                # Smooth over ~1/10 epoch, whatever log_every and the epoch length are.
                per_epoch = ev.batches / (ev.step - self.last_step.step)
                window = max(3.0, per_epoch / 10)
                self._alpha = 2 / (window + 1)
            self._add_point((ev.epoch - 1) + ev.batch / max(ev.batches, 1), ev.loss)
            self.grads.add((ev.epoch - 1) + ev.batch / max(ev.batches, 1), ev.layers)
            self.last_step = ev
            self.status = "running" if self.status in ("starting", "running") else self.status
        elif isinstance(ev, E.EpochDone):
            self.epochs.append(ev)
        elif isinstance(ev, E.RunStarted):
            self.started = ev
            # a folder opened from disk keeps the path it was opened at: the events name the folder as the
            # writer saw it, relative to its own working directory ("runs/lenet-…")
            self.run_dir = self.run_dir or ev.run_dir
            self.status = "running"
        elif isinstance(ev, E.Finished):
            self.finished = ev
            self.status = ev.status
            self.run_dir = self.run_dir or ev.run_dir
        elif isinstance(ev, E.EarlyStopped):
            self.early_stop = ev
        elif isinstance(ev, E.Diverged):
            self.diverged = ev
            self._mark_divergence(ev)
        elif isinstance(ev, E.Notice):
            self.notices.append(ev)
        for key, message in self.diagnoser.add(ev):  # after the step-line throttle: a finding is always shown
            self.findings[key] = message  # (the diagnoser reports each finding once)
            lines.append(f"⚑ {message}")  # one line: the log pane wraps it to its width
        self.log.extend(lines)
        return lines

    def _add_point(self, x: float, loss: float) -> None:
        self.step_x.append(x)
        self.step_loss.append(loss)
        alpha = self._alpha or SMOOTHING
        prev = self._ema if self._ema is not None else loss
        self._ema = prev + alpha * (loss - prev) if loss == loss else prev
        self.smooth.append(self._ema)
        if len(self.step_x) > STEP_POINTS:
            self._compact_steps()

    def _mark_divergence(self, ev: E.Diverged) -> None:
        """Put the divergence on the step curve. A run that dies before its first logged step (lr=10: step 2 of
        297) has no step points: the first loss the trainer saw (step 1) starts the curve."""
        per_epoch = self.started.steps_per_epoch if self.started else (self.last_step.batches if self.last_step
                                                                        else 0)
        if per_epoch <= 0:
            return
        batch = ev.step - (ev.epoch - 1) * per_epoch
        x = (ev.epoch - 1) + min(max(batch, 1), per_epoch) / per_epoch
        if not self.step_x and math.isfinite(ev.first_loss):
            self._add_point((ev.epoch - 1) + 1 / per_epoch if batch > 1 else x, ev.first_loss)
        self.diverged_at = (x, ev.loss)

    def _compact_steps(self) -> None:
        """Average the older step points in pairs (the newest point is kept as it is)."""
        keep = len(self.step_x) - 1
        for name in ("step_x", "step_loss", "smooth"):
            series = getattr(self, name)
            old, last = series[:keep], series[keep:]
            pairs = [_mean2(old[i], old[i + 1]) for i in range(0, len(old) - 1, 2)]
            if len(old) % 2:
                pairs.append(old[-1])
            setattr(self, name, pairs + last)

    # ------------------------------------------------------------------ reading
    @property
    def label(self) -> str:
        return f"#{self.id} {self.compared or self.tag}".strip()

    @property
    def highest_val_accuracy(self) -> float | None:
        """The highest val accuracy of any epoch (the Runs table's "Best val acc"); while a run trains, the
        highest so far."""
        if self.finished and self.finished.highest_val_accuracy is not None:
            return self.finished.highest_val_accuracy
        accs = [e.val_accuracy for e in self.epochs
                if e.val_accuracy is not None and e.val_accuracy == e.val_accuracy]
        return max(accs) if accs else None

    @property
    def val_accuracy_at_best(self) -> float | None:
        """The val accuracy at the best epoch by the monitor (the lowest val loss unless early stopping watches
        something else: the epoch best.pt holds); while a run trains, at the epoch marked best so far."""
        if self.finished and self.finished.best_epoch is not None:
            return self.finished.best_val_accuracy
        best = [e for e in self.epochs if e.is_best]
        return best[-1].val_accuracy if best else None

    @property
    def test_accuracy(self) -> float | None:
        return self.finished.test_accuracy if self.finished else None

    @property
    def running(self) -> bool:
        return self.status in ("starting", "running", "paused", "stopping")

    @property
    def resumable(self) -> bool:
        """A stopped or unfinished run with a folder: training can continue from its last checkpoint."""
        return bool(self.run_dir) and self.status in ("stopped", "incomplete", "failed")

    def epoch_series(self, attr: str) -> tuple[list[float], list[float]]:
        xs, ys = [], []
        for e in self.epochs:
            v = getattr(e, attr)
            if v is not None and v == v:
                xs.append(float(e.epoch))
                ys.append(float(v))
        return xs, ys


def _mean2(a: float, b: float) -> float:
    """Mean of two points; a NaN/inf one is left out (so one bad point does not hide its neighbour)."""
    fa, fb = a == a and abs(a) != float("inf"), b == b and abs(b) != float("inf")
    if fa and fb:
        return (a + b) / 2
    return a if fa else b


def downsample(xs: list[float], ys: list[float], limit: int) -> tuple[list[float], list[float]]:
    """At most ``limit`` points: bucket means (keeps the curve's shape; NaN/inf points dropped)."""
    pts = [(x, y) for x, y in zip(xs, ys) if y == y and abs(y) != float("inf")]
    n = len(pts)
    if n <= limit:
        return [p[0] for p in pts], [p[1] for p in pts]
    out_x, out_y = [], []
    size = n / limit
    for i in range(limit):
        chunk = pts[int(i * size): max(int((i + 1) * size), int(i * size) + 1)]
        out_x.append(sum(p[0] for p in chunk) / len(chunk))
        out_y.append(sum(p[1] for p in chunk) / len(chunk))
    return out_x, out_y


# ----------------------------------------------------------------------------- labels
# What tells runs apart, in a student's words: "sgd lr=0.01", "sigmoid", "batch 128", "5 epochs". Each experiment
# is described by facets (key -> text); a run's label is the text of the facets in which it differs from the
# run it is compared with.

#: Argument names said the way a student says them (``conv1 32 channels``); others read ``name=value``.
_ARG_WORDS = {"out_channels": N_("{value} channels"), "out_features": N_("{value} units"),
              "kernel_size": N_("kernel {value}"), "stride": N_("stride {value}"), "padding": N_("padding {value}"),
              "p": "p={value}"}


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (list, tuple)):
        return "×".join(_text(x) for x in v)
    return str(v)


def _is_activation(layer) -> bool:
    from tui_dl.core.model.layers import REGISTRY

    kind = REGISTRY.get(layer.type)
    return kind is not None and kind.group == "activation"


def _walk(layers) -> list:
    out = []
    for layer in layers:
        out.append(layer)
        out.extend(_walk(layer.layers))
    return out


def _shape_key(layer) -> tuple:
    """A layer for comparing structure: an activation is just "an activation" (the activation facet says which)."""
    if _is_activation(layer):
        return ("activation",)
    return (layer.type, tuple(sorted((k, _text(v)) for k, v in layer.params.items())),
            tuple(_shape_key(inner) for inner in layer.layers))


def _short_type(name: str) -> str:
    name = name.lower()
    for tail in ("2d", "1d"):
        if name.endswith(tail) and name != tail:
            return name[:-len(tail)]
    return name


def _layer_changes(net, ref) -> str:
    """``conv1 32 channels``, ``+dropout``, ``maxpool→avgpool``: how ``net``'s layers differ from ``ref``'s."""
    import difflib

    a, b = list(ref.layers), list(net.layers)
    ka, kb = [_shape_key(x) for x in a], [_shape_key(x) for x in b]
    parts: list[str] = []
    ordinal: dict[str, int] = {}
    index_of = {}
    for i, layer in enumerate(b):
        ordinal[layer.type] = ordinal.get(layer.type, 0) + 1
        index_of[i] = ordinal[layer.type]
    matcher = difflib.SequenceMatcher(a=[x[0] for x in ka], b=[x[0] for x in kb], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if ka[i] == kb[j]:
                    continue
                old, new = dict(a[i].params), dict(b[j].params)
                name = f"{_short_type(b[j].type)}{index_of[j]}"
                changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
                if not changed:  # the difference is inside a block
                    parts.append(_("{layer} changed").format(layer=name))
                for k in changed:
                    v = new.get(k)
                    parts.append(f"{name} " + (_(_ARG_WORDS[k]).format(value=_text(v)) if k in _ARG_WORDS and
                                               v is not None else f"{k}={_text(v)}" if v is not None
                                               else _("no {name}").format(name=k)))
        elif op == "insert":
            parts.extend(f"+{_short_type(x.type)}" for x in b[j1:j2])
        elif op == "delete":
            parts.extend(_("no {name}").format(name=_short_type(x.type)) for x in a[i1:i2])
        else:
            parts.append(" ".join(_short_type(x.type) for x in a[i1:i2]) + "→"
                         + " ".join(_short_type(x.type) for x in b[j1:j2]))
    counts = {p: parts.count(p) for p in parts}  # "maxpool→avgpool ×2", not the same words twice
    return ", ".join(p + (f" ×{counts[p]}" if counts[p] > 1 else "") for p in dict.fromkeys(parts))


def _optimizer_defaults(name: str) -> dict[str, Any]:
    return {f.name: f.default for f in OPTIMIZERS.get(name, ())}


#: The order settings are named in a label: what students change most first.
_FACET_ORDER = ("data", "name", "input", "optimizer", "lr", "optimizer.*", "batch", "epochs", "activation", "layers",
                "loss", "adversarial", "scheduler", "weight_decay", "grad_clip", "early_stopping", "val_split",
                "seed")


def _facet_rank(key: str) -> int:
    name = "optimizer.*" if key.startswith("optimizer.") else key
    return _FACET_ORDER.index(name) if name in _FACET_ORDER else len(_FACET_ORDER)


def _facets(exp: Experiment) -> dict[str, str]:
    """The experiment as what a student compares, in order: data, network, optimizer, batch, epochs, …"""
    t, net = exp.train, exp.network
    out: dict[str, str] = {"data": exp.data.name, "input": _("input {shape}").format(shape=_text(list(net.input_shape)))}
    acts = []
    for layer in _walk(net.layers):
        if _is_activation(layer) and layer.type.lower() not in acts:
            acts.append(layer.type.lower())
    out["activation"] = "+".join(acts) if acts else _("no activation")
    out["layers"] = repr(tuple(_shape_key(x) for x in net.layers))  # compared here, said by _layer_changes
    out["optimizer"] = t.optimizer.name
    resolved = t.optimizer.resolved(OPTIMIZERS)
    out["lr"] = f"lr={_text(resolved.get('lr'))}"
    defaults = _optimizer_defaults(t.optimizer.name)
    for k, v in sorted(resolved.items()):
        if k != "lr" and v != defaults.get(k):  # an optimizer's own defaults go without saying
            out[f"optimizer.{k}"] = f"{k}={_text(v)}"
    out["batch"] = _("batch {n}").format(n=t.batch_size)
    out["epochs"] = ngettext("{n} epoch", "{n} epochs", t.epochs).format(n=t.epochs)
    out["loss"] = t.loss.name if t.loss.params == {} else t.loss.name + " " + " ".join(
        f"{k}={_text(v)}" for k, v in sorted(t.loss.params.items()))
    sched = t.scheduler
    out["scheduler"] = _("no schedule") if sched is None else sched.name + "".join(
        f" {k}={_text(v)}" for k, v in sorted(sched.params.items()))
    for name in ("weight_decay", "grad_clip", "seed", "val_split"):
        value = getattr(t, name, None) if name != "val_split" else exp.data.val_split
        words = {"weight_decay": N_("weight decay {value}"), "grad_clip": N_("clip {value}"), "seed": N_("seed {value}"),
                 "val_split": N_("val split {value}")}[name]
        nothing = {"weight_decay": N_("no weight decay"), "grad_clip": N_("no grad clip"), "seed": N_("no seed"),
                   "val_split": N_("no val split")}[name]
        out[name] = _(words).format(value=_text(value)) if value is not None else _(nothing)
    es = t.early_stopping
    out["early_stopping"] = _("no early stop") if es is None else _("early stop {n}").format(n=es.patience)
    adv = t.adversarial
    out["adversarial"] = _("clean training") if adv is None else _("{method} training ε={eps}").format(
        method=adv.method, eps=_text(adv.eps))
    return out


def describe_config(exp: Experiment) -> str:
    """``adam lr=0.001 batch 64``: the settings students compare most."""
    f = _facets(exp)
    return f"{f['optimizer']} {f['lr']} {f['batch']}"


def _label_parts(f: dict[str, str], ref: dict[str, str], keys: list[str], exp, ref_exp) -> list[str]:
    parts = []
    for k in keys:
        if f.get(k) == ref.get(k):
            continue
        if k == "layers":
            changes = _layer_changes(exp.network, ref_exp.network)
            parts.append(changes if len(changes) <= 28 else (exp.name if exp.name != ref_exp.name else
                                                              ngettext("{n} layer", "{n} layers", len(exp.network.layers)).format(
                                                                 n=len(exp.network.layers))))
        elif k in f:
            parts.append(f[k])
        elif k.startswith("optimizer.") and exp.train.optimizer.name == ref_exp.train.optimizer.name:
            name = k.split(".", 1)[1]  # this run has the default where the other set a value: say it
            parts.append(f"{name}={_text(_optimizer_defaults(exp.train.optimizer.name).get(name))}")
    return parts


def run_labels(experiments: list[Experiment | None], fallbacks: list[str] | None = None, limit: int = 3) -> list[str]:
    """What tells these runs apart, one label each: the first run's values of the settings that differ among
    them (``adam lr=0.001``), every other run's settings that differ from the first's (``sgd lr=0.01``,
    ``sigmoid``, ``batch 128``). A run without an experiment (a folder without its config.yaml) is labelled by
    its fallback (the folder name). At most ``limit`` settings each, then ``+N``."""
    fallbacks = list(fallbacks or [""] * len(experiments))
    known = [(i, e) for i, e in enumerate(experiments) if e is not None]
    labels = [fallbacks[i] for i in range(len(experiments))]
    if not known:
        return labels
    facets = {i: _facets(e) for i, e in known}
    ref_i, ref_exp = known[0]
    ref = facets[ref_i]
    order = list(ref) + [k for i, _e in known for k in facets[i] if k not in ref]
    keys = list(dict.fromkeys(k for k in order if len({facets[i].get(k) for i, _e in known}) > 1))
    if "data" in keys or "input" in keys:  # another task: the network's name says more than its layers
        keys = [k for k in keys if k not in ("layers", "activation", "input")] + ["name"]
        for i, e in known:
            facets[i]["name"] = e.name
    keys.sort(key=_facet_rank)
    for i, e in known:
        if i == ref_i:  # the first run: its own values of what differs (its layers are "the others' layers")
            parts = [ref[k] for k in keys if k in ref and k != "layers"] or [describe_config(e)]
        else:
            parts = _label_parts(facets[i], ref, keys, e, ref_exp) or [_("same settings")]
        text = " ".join(parts[:limit])
        if len(parts) > limit:
            text += f" +{len(parts) - limit}"
        labels[i] = text
    return labels


def describe_difference(exp: Experiment, before: Experiment | None) -> str:
    """What changed from ``before`` (``sgd lr=0.01``, ``sigmoid``); the main settings when there is none."""
    if before is None:
        return describe_config(exp)
    return run_labels([before, exp])[1]


def same_task(a: Experiment | None, b: Experiment | None) -> bool:
    """Runs of one task (the same data and input): their curves share axes and can be overlaid."""
    if a is None or b is None:
        return True
    return a.data.name == b.data.name and tuple(a.network.input_shape) == tuple(b.network.input_shape)


# ----------------------------------------------------------------------------- past runs on disk


def load_run_folder(path: str | Path, run_id: int) -> RunRecord:
    """Replay a run folder's ``metrics.jsonl`` (and read ``summary.json``) into a record."""
    folder = Path(path)
    metrics = folder / "metrics.jsonl"
    if not metrics.is_file():
        raise FileNotFoundError(_("{folder} has no metrics.jsonl: is it a tui-dl run folder?").format(folder=folder))
    rec = RunRecord(id=run_id, name=folder.name, status="incomplete", run_dir=str(folder), tag=folder.name)
    cfg = folder / "config.yaml"
    if cfg.is_file():
        try:
            from tui_dl.core.config.experiment import load_experiment

            rec.experiment = load_experiment(cfg)
            rec.name = rec.experiment.name
        except Exception as e:  # noqa: BLE001 - a damaged config must not stop the replay
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            rec.log.append(_("⚠ config.yaml could not be read ({error}): the run is shown without it").format(
                error=first[:120]))
    bad = 0
    with metrics.open(encoding="utf-8", errors="replace") as fh:  # a line cut mid-character is skipped
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec.add(E.event_from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError, RecursionError):
                bad += 1
    if bad:
        rec.log.append(ngettext("⚠ {n} unreadable line in metrics.jsonl skipped",
                                "⚠ {n} unreadable lines in metrics.jsonl skipped", bad).format(n=bad))
    summary = folder / "summary.json"
    if summary.is_file():
        try:
            data = json.loads(summary.read_text(encoding="utf-8", errors="replace"))
        except (ValueError, OSError, RecursionError):
            rec.log.append("⚠ summary.json is not valid JSON: the run is shown from metrics.jsonl")
        else:
            if isinstance(data, dict):
                rec.summary = data
            else:
                rec.log.append(_("⚠ summary.json holds {type}, not a JSON object: ignored").format(type=type(data).__name__))
    if rec.status == "running":
        rec.status = "incomplete"
    return rec
