"""The run folder: where one training run writes its config, metrics, checkpoints and summary.

::

    runs/<name-slug>-<YYYYmmdd-HHMMSS>/
        config.yaml      the resolved experiment (every default filled in); re-run it with --batch
        metrics.jsonl    every event, one JSON object per line ("event": started|step|epoch|checkpoint|...)
        metrics.csv      one row per epoch (for spreadsheets and pandas)
        last.pt          checkpoint after the latest epoch (or at the interruption point)
        best.pt          checkpoint of the best epoch so far
        summary.json     the result: status, best/final/test metrics, confusion matrix, speed, versions

Plain Python (no torch): the app can read old runs without loading torch.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

from tui_dl.core.i18n import _
from tui_dl.core.paths import expand_user
from tui_dl.core.runs.atomic import atomic_write
from tui_dl.core.runs.lock import RunLock
from tui_dl.core.training.events import EpochDone, event_to_dict

CSV_COLUMNS = ("epoch", "step", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
               "images_per_second")


def slugify(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return s[:40].strip("-") or "run"


def new_run_dir(runs_dir: str | os.PathLike, name: str) -> Path:
    """Create ``runs_dir/<slug>-<timestamp>`` (with ``-2``, ``-3``... if that second is taken)."""
    base = expand_user(runs_dir)  # a PathProblem is an OSError: "cannot write the run folder: ..."
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{slugify(name)}-{time.strftime('%Y%m%d-%H%M%S')}"
    for i in range(1, 1000):
        p = base / (stem if i == 1 else f"{stem}-{i}")
        try:
            p.mkdir()
            return p
        except FileExistsError:
            continue
    raise OSError(_("could not create a new run folder in {folder}").format(folder=base))


def _clean(v: Any) -> Any:
    """JSON has no NaN/inf: write them as strings so the files stay valid JSON."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def write_text_atomic(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text))


class RunWriter:
    """Appends events to ``metrics.jsonl`` / ``metrics.csv`` and writes ``config.yaml`` and ``summary.json``.

    ``resume_step``: when continuing a run, step/epoch rows after this global step are dropped first (they
    were logged after the checkpoint was taken and will be produced again), so the files read as if the run
    had never stopped.

    The writer holds the folder's :class:`~tui_dl.core.runs.lock.RunLock` from its creation to :meth:`close`, so
    two runs (two ``--batch`` processes, or the app and a ``--batch``) never write one folder at the same time:
    the second gets :class:`~tui_dl.core.runs.lock.RunFolderBusy` before it has touched a file.
    """

    def __init__(self, run_dir: str | os.PathLike, resume_step: int | None = None):
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = RunLock(self.dir).acquire()
        try:
            self._open(resume_step)
        except BaseException:
            self._lock.release()
            raise

    def _open(self, resume_step: int | None) -> None:
        self.jsonl_path = self.dir / "metrics.jsonl"
        self.csv_path = self.dir / "metrics.csv"
        if resume_step is not None:
            self._truncate(resume_step)
        new_csv = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8")
        self._csv_file = open(self.csv_path, "a", encoding="utf-8", newline="")
        self._csv = csv.writer(self._csv_file)
        if new_csv:
            self._csv.writerow(CSV_COLUMNS)
            self._csv_file.flush()

    def _truncate(self, step: int) -> None:
        if self.jsonl_path.exists():
            keep = []
            for line in self.jsonl_path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    d = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if d.get("event") in ("step", "epoch", "checkpoint") and int(d.get("step", 0)) > step:
                    continue
                keep.append(line)
            write_text_atomic(self.jsonl_path, "".join(k + "\n" for k in keep))
        if self.csv_path.exists():
            rows = list(csv.reader(self.csv_path.read_text(encoding="utf-8", errors="replace").splitlines()))
            if rows:
                head, body = rows[0], rows[1:]
                si = head.index("step") if "step" in head else 1
                body = [r for r in body if len(r) == len(head) and r[si].isdigit() and int(r[si]) <= step]
                import io

                buf = io.StringIO()
                w = csv.writer(buf)
                w.writerow(head)
                w.writerows(body)
                write_text_atomic(self.csv_path, buf.getvalue())

    def epoch_rows(self) -> int:
        """How many epoch rows ``metrics.csv`` holds (0 for a new folder)."""
        self._csv_file.flush()
        with open(self.csv_path, encoding="utf-8", errors="replace") as f:
            return max(0, sum(1 for line in f if line.strip()) - 1)

    def write_config(self, yaml_text: str) -> None:
        write_text_atomic(self.dir / "config.yaml", yaml_text)

    def log(self, event, *, durable: bool = False, to_jsonl: bool = True, to_csv: bool = True) -> None:
        """Append ``event`` (an epoch also as a ``metrics.csv`` row). ``durable``: fsync both files too, so the
        lines are on disk before the checkpoint that follows them. ``to_jsonl``/``to_csv`` False skips that file."""
        d = _clean(event_to_dict(event))
        d["time"] = round(time.time(), 3)  # when it happened (Unix seconds); event_from_dict ignores it
        if to_jsonl:
            self._jsonl.write(json.dumps(d, ensure_ascii=False) + "\n")
            self._jsonl.flush()
        if to_csv and isinstance(event, EpochDone):
            self._csv.writerow([_csv_value(d.get(c)) for c in CSV_COLUMNS])
            self._csv_file.flush()
        if durable:
            for f in (self._jsonl, self._csv_file):
                os.fsync(f.fileno())

    def logged_epochs(self) -> tuple[set[int], set[int]]:
        """The epoch numbers that ``metrics.jsonl`` and ``metrics.csv`` hold rows for."""
        self._jsonl.flush()
        self._csv_file.flush()
        in_jsonl = set()
        for d in read_metrics(self.dir):
            if isinstance(d, dict) and d.get("event") == "epoch" and isinstance(d.get("epoch"), int):
                in_jsonl.add(d["epoch"])
        in_csv = set()
        with open(self.csv_path, encoding="utf-8", errors="replace", newline="") as f:
            for row in list(csv.reader(f))[1:]:
                if row and row[0].strip().isdigit():
                    in_csv.add(int(row[0]))
        return in_jsonl, in_csv

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.dir / "summary.json"
        write_text_atomic(path, json.dumps(_clean(summary), indent=2, ensure_ascii=False) + "\n")
        return path

    def close(self) -> None:
        for f in (self._jsonl, self._csv_file):
            try:
                f.close()
            except OSError:
                pass
        self._lock.release()


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e-3 or abs(v) >= 1e6 else f"{v:.6f}".rstrip("0").rstrip(".")
    return v


def read_metrics(run_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """All events of a run as dicts (for plots of past runs, and tests)."""
    path = Path(run_dir) / "metrics.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
