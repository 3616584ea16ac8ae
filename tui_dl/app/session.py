"""The runs of this session (and past runs opened from disk): curves, results, labels.

Plain Python (no Textual). The UI thread feeds events into a :class:`RunRecord`; the plots read
downsampled series from it.
"""

from __future__ import annotations

import json
import textwrap
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_dl.core.training import events as E
from tui_dl.core.config.schema import OPTIMIZERS
from tui_dl.core.config.experiment import Experiment
from tui_dl.core.training.diagnosis import Diagnoser
from tui_dl.app.logfmt import format_event

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
    #: Short description of what differs from the previous run ("sgd, lr=0.01"), used in legends.
    tag: str = ""
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
    log: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))
    error: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    _alpha: float | None = None
    _ema: float | None = None
    _step_logged_at: float = float("-inf")

    # ------------------------------------------------------------------ feeding
    def add(self, ev) -> list[str]:
        """Record one event; returns the log lines it produced (diagnoses included)."""
        lines = format_event(ev)
        if isinstance(ev, E.StepDone):
            if self.last_step is not None and ev.batch < ev.batches and \
                    ev.elapsed - self._step_logged_at < STEP_LOG_SECONDS and ev.step > self.last_step.step:
                lines = []
            else:
                self._step_logged_at = ev.elapsed
            x = (ev.epoch - 1) + ev.batch / max(ev.batches, 1)
            self.step_x.append(x)
            self.step_loss.append(ev.loss)
            if self.last_step is not None and self._alpha is None and ev.step > self.last_step.step:
                # Smooth over ~1/10 epoch, whatever log_every and the epoch length are.
                per_epoch = ev.batches / (ev.step - self.last_step.step)
                window = max(3.0, per_epoch / 10)
                self._alpha = 2 / (window + 1)
            alpha = self._alpha or SMOOTHING
            prev = self._ema if self._ema is not None else ev.loss
            self._ema = prev + alpha * (ev.loss - prev) if ev.loss == ev.loss else prev
            self.smooth.append(self._ema)
            if len(self.step_x) > STEP_POINTS:
                self._compact_steps()
            self.last_step = ev
            self.status = "running" if self.status in ("starting", "running") else self.status
        elif isinstance(ev, E.EpochDone):
            self.epochs.append(ev)
        elif isinstance(ev, E.RunStarted):
            self.started = ev
            self.run_dir = ev.run_dir
            self.status = "running"
        elif isinstance(ev, E.Finished):
            self.finished = ev
            self.status = ev.status
            self.run_dir = ev.run_dir or self.run_dir
        elif isinstance(ev, E.EarlyStopped):
            self.early_stop = ev
        elif isinstance(ev, E.Diverged):
            self.diverged = ev
        elif isinstance(ev, E.Notice):
            self.notices.append(ev)
        for key, message in self.diagnoser.add(ev):  # after the step-line throttle: a finding is always shown
            self.findings[key] = message  # (the diagnoser reports each finding once)
            wrapped = textwrap.wrap(message, width=60)
            lines.append(f"⚑ {wrapped[0]}")
            lines.extend(f"  {line}" for line in wrapped[1:])
        self.log.extend(lines)
        return lines

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
        return f"#{self.id} {self.tag}".strip()

    @property
    def best_val_accuracy(self) -> float | None:
        if self.finished and self.finished.best_val_accuracy is not None:
            return self.finished.best_val_accuracy
        accs = [e.val_accuracy for e in self.epochs if e.val_accuracy is not None]
        return max(accs) if accs else None

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


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        for i, v in enumerate(d):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = d
    return out


def _short_key(key: str) -> str:
    key = key.replace("train.", "").replace("data.", "data ")
    key = key.replace("optimizer.name", "optimizer").replace("loss.name", "loss")
    key = key.replace("optimizer.", "").replace("scheduler.name", "scheduler")
    if key.startswith("layers["):
        i = key[len("layers["):].split("]", 1)[0]
        rest = key.split("].", 1)[1] if "]." in key else ""
        key = f"L{int(i) + 1}" + (f".{rest}" if rest and rest != "type" else "")
    return key


def _short_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, list):
        return "[" + ",".join(_short_value(x) for x in v) + "]"
    return str(v)


def describe_config(exp: Experiment) -> str:
    """``adam lr=0.001 bs=64``: the settings students compare most."""
    t = exp.train
    lr = t.optimizer.resolved(OPTIMIZERS).get("lr")
    return f"{t.optimizer.name} lr={lr:g} bs={t.batch_size}"


def describe_difference(exp: Experiment, before: Experiment | None, limit: int = 2) -> str:
    """What changed from ``before``: ``optimizer=sgd, lr=0.01`` or ``L2=Sigmoid ×2``."""
    if before is None:
        return describe_config(exp)
    a = _flatten(before.to_dict())
    b = _flatten(exp.to_dict())
    changes: list[tuple[str, str]] = []
    for key in b:
        if key in ("name", "description"):
            continue
        if a.get(key) != b[key]:
            changes.append((_short_key(key), _short_value(b[key])))
    for key in a:
        if key not in b and key not in ("name", "description"):
            changes.append((_short_key(key), "–"))
    if not changes:
        return "same settings"
    if a.get("input") == b.get("input"):
        # Many layers changed to the same value (ReLU → Sigmoid everywhere): say it once.
        values = {v for _k, v in changes}
        if len(values) == 1 and len(changes) > 1 and all(k.startswith("L") for k, _v in changes):
            return f"{changes[0][1]} ×{len(changes)}"
    text = ", ".join(f"{k}={v}" for k, v in changes[:limit])
    if len(changes) > limit:
        text += f" +{len(changes) - limit}"
    return text


# ----------------------------------------------------------------------------- past runs on disk


def load_run_folder(path: str | Path, run_id: int) -> RunRecord:
    """Replay a run folder's ``metrics.jsonl`` (and read ``summary.json``) into a record."""
    folder = Path(path)
    metrics = folder / "metrics.jsonl"
    if not metrics.is_file():
        raise FileNotFoundError(f"{folder} has no metrics.jsonl: is it a tui-dl run folder?")
    rec = RunRecord(id=run_id, name=folder.name, status="incomplete", run_dir=str(folder), tag=folder.name)
    cfg = folder / "config.yaml"
    if cfg.is_file():
        try:
            from tui_dl.core.config.experiment import load_experiment

            rec.experiment = load_experiment(cfg)
            rec.name = rec.experiment.name
        except Exception:  # a damaged config must not stop the replay
            pass
    bad = 0
    with metrics.open(encoding="utf-8", errors="replace") as fh:  # a line cut mid-character is skipped
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rec.add(E.event_from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                bad += 1
    if bad:
        rec.log.append(f"⚠ {bad} unreadable line{'s' if bad > 1 else ''} in metrics.jsonl skipped")
    summary = folder / "summary.json"
    if summary.is_file():
        try:
            rec.summary = json.loads(summary.read_text(encoding="utf-8"))
        except ValueError:
            rec.log.append("⚠ summary.json is not valid JSON")
    if rec.status == "running":
        rec.status = "incomplete"
    return rec
