"""Finding run folders and reading what each one says: the rows of ``tui-dl runs``.

A run folder is a folder that holds ``metrics.jsonl``, ``summary.json``, ``last.pt`` or the writer's lock file
(``.tui-dl.lock``). :func:`find_runs` walks the folders given (not into a run folder's own sub-folders, such as
``tb/``) and :func:`read_run` turns each into a :class:`RunInfo`: its status, one of

    finished      the run ended normally (completed or early-stopped; summary.json is there)
    interrupted   stopped (Ctrl+C, SIGTERM, the app's stop) or its process died before the end
    diverged      the loss became NaN/inf or exploded
    running       a live process holds the folder's lock
    broken        a run folder whose files cannot be read (the reason says which and why)
    foreign       a folder with files of those names that tui-dl did not write

and the numbers a TA compares runs by. Nothing here raises for a bad folder: its row carries the reason.

Plain Python (no torch).
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Iterator

from tui_dl.core.i18n import N_, _
from tui_dl.core.runs.lock import LOCK_NAME, holder
from tui_dl.core.training.events import English, english, localized

__all__ = ["RunInfo", "find_runs", "read_run", "scan", "writer_alive", "read_events", "STATUSES", "COLUMNS",
           "RUN_MARKERS"]

#: The files whose presence makes a folder a run folder.
RUN_MARKERS = ("metrics.jsonl", "summary.json", "last.pt", LOCK_NAME)
STATUSES = ("finished", "interrupted", "diverged", "running", "broken", "foreign")
#: ``Finished.status`` → the row's status.
_FINAL_STATUS = {"completed": "finished", "early_stopped": "finished", "stopped": "interrupted",
                 "diverged": "diverged"}
_KNOWN_EVENTS = {"started", "step", "epoch", "checkpoint", "notice", "early_stop", "diverged", "finished"}


@dataclass
class RunInfo:
    """One row of ``tui-dl runs``. Numbers are None where the run does not have them (yet)."""

    path: str
    status: str
    reason: str = ""
    name: str = ""                      # the folder's name
    experiment: str = ""                # the experiment's name
    dataset: str = ""
    epochs: int | None = None           # epochs done
    epochs_planned: int | None = None
    best_val_accuracy: float | None = None   # at the best epoch (the one best.pt holds)
    final_val_accuracy: float | None = None  # at the last epoch
    test_accuracy: float | None = None
    train_seconds: float | None = None
    images_per_second: float | None = None
    device: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The fields of a row, in table order (``--sort`` takes any of them).
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(RunInfo))


def _is_run_folder(folder: Path) -> bool:
    return any((folder / m).is_file() for m in RUN_MARKERS)


def find_runs(paths: Iterable[str | os.PathLike]) -> Iterator[Path | tuple[Path, str]]:
    """Every run folder under ``paths`` (sorted, each once); a path that is missing or no folder comes out as
    ``(path, reason)``."""
    seen: set[str] = set()
    for p in paths:
        root = Path(os.path.expanduser(str(p)))
        if not root.exists():
            yield root, "no such folder"
            continue
        if not root.is_dir():
            yield root, "not a folder"
            continue
        found = []
        for dirpath, dirnames, _files in os.walk(root, onerror=lambda e: None):
            d = Path(dirpath)
            if _is_run_folder(d):
                found.append(d)
                dirnames[:] = []  # a run's own sub-folders (tb/, exports) are not runs
                continue
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
        for d in sorted(found):
            key = str(d.resolve())
            if key not in seen:
                seen.add(key)
                yield d


def writer_alive(folder: str | os.PathLike) -> bool | None:
    """Whether the process named in the folder's lock file is alive: True/False, or None when it runs on
    another host (it cannot be checked from here). No lock file (the writer released it): False."""
    h = holder(folder)
    if h is None:
        return False
    pid = h.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if h.get("host") not in (None, socket.gethostname()):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:
        return False
    return True


def read_events(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects of a metrics.jsonl and how many lines were not (a torn last line counts)."""
    events, bad = [], 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(d, dict):
                events.append(d)
            else:
                bad += 1
    return events, bad


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def _joined(problems: list) -> str:
    """Several problems of one folder, as one reason ("" for none)."""
    if len(problems) <= 1:
        return problems[0] if problems else ""
    return "; ".join(problems)


def reason_text(reason: str) -> str:
    """A row's ``reason`` (English, the same in ``--json`` in every language) in the language spoken now."""
    if isinstance(reason, English):
        advice = reason.args.get("advice")
        if isinstance(advice, dict):  # a divergence's advice: its first sentence, in the language spoken
            text = localized("", advice.get("msgid", ""), advice.get("args"))
            first = re.split(r"(?<=。)|\.\s+(?=[A-Z])", text)[0].rstrip(".。") if text else ""
            return localized(str(reason), reason.msgid, {**reason.args, "advice": first or str(reason)})
        return localized(str(reason), reason.msgid, reason.args)
    return "; ".join(_(part) for part in reason.split("; ")) if reason else reason


def read_run(folder: str | os.PathLike) -> RunInfo:
    """The row of one run folder (never raises for what the folder holds)."""
    folder = Path(folder)
    info = RunInfo(path=str(folder), status="broken", name=folder.name)
    try:
        return _read(folder, info)
    except OSError as e:
        info.status, info.reason = "broken", english(N_("cannot read it: {error}"), error=str(e.strerror or e))
        return info


def _read(folder: Path, info: RunInfo) -> RunInfo:
    summary: dict[str, Any] | None = None
    problems: list[str] = []
    sp = folder / "summary.json"
    if sp.is_file():
        try:
            data = json.loads(sp.read_text(encoding="utf-8", errors="replace"))
        except ValueError as e:
            problems.append(english(N_("summary.json is not valid JSON ({error})"), error=str(e)))
        else:
            if isinstance(data, dict) and isinstance(data.get("status"), str) and "history" in data:
                summary = data
            else:
                info.status, info.reason = "foreign", english(N_("summary.json was not written by tui-dl"))
                return info
    events: list[dict[str, Any]] = []
    mp = folder / "metrics.jsonl"
    if mp.is_file():
        events, bad = read_events(mp)
        if events and not any(e.get("event") in _KNOWN_EVENTS for e in events):
            info.status, info.reason = "foreign", english(N_("metrics.jsonl holds no tui-dl events"))
            return info
        if bad > 1 or (bad and not events):
            problems.append(english(N_("metrics.jsonl has {n} unreadable lines") if bad != 1 else
                                    N_("metrics.jsonl has {n} unreadable line"), n=bad))
    started = [e for e in events if e.get("event") == "started"]
    if events and not started:
        problems.append(english(N_("metrics.jsonl has no 'started' event")))
    if summary is None and not started:
        info.reason = _joined(problems) or (english(N_("no metrics.jsonl or summary.json: the run never started"))
                                             if not (folder / "last.pt").is_file() else
                                             english(N_("only a checkpoint: no metrics.jsonl or summary.json")))
        if writer_alive(folder):
            info.status, info.reason = "running", english(N_("starting (no event yet)"))
        return info
    _fill(info, summary, events, started)
    last = events[-1] if events else None
    alive = writer_alive(folder)
    if alive:
        info.status = "running"
    elif last is not None and last.get("event") == "finished":
        info.status = _FINAL_STATUS.get(str(last.get("status")), "interrupted")
    elif last is not None and last.get("event") == "diverged":
        info.status = "diverged"
    elif last is not None:
        info.status = "interrupted"
        info.reason = (english(N_("no event for a while; its process runs on {host}"),
                               host=str((holder(folder) or {}).get("host")))
                       if alive is None else
                       english(N_("its process ended without a final event (killed or crashed); continue with: "
                                  "tui-dl --batch --resume {folder}"), folder=str(folder)))
    elif summary is not None:
        info.status = _FINAL_STATUS.get(summary["status"], "interrupted")
    if info.status == "diverged" and not info.reason:
        div = next((e for e in reversed(events) if e.get("event") == "diverged"), None)
        if div is not None and isinstance(div.get("advice"), str):
            first = re.split(r"\.\s+(?=[A-Z])", div["advice"])[0].rstrip(".")  # its first sentence
            # TRANSLATORS: {advice} is the first sentence of the stored advice (in English in older runs)
            info.reason = english(N_("at epoch {epoch}, step {step}: {advice}"), epoch=div.get("epoch", "?"),
                                  step=div.get("step", "?"), advice=first)
            if isinstance(div.get("advice_msgid"), str) and div["advice_msgid"]:  # shown: its translated first sentence
                info.reason = English.stored(str(info.reason), info.reason.msgid, {
                    **info.reason.args, "advice": {"msgid": div["advice_msgid"], "args": div.get("advice_args") or {}}})
    if info.status == "interrupted" and not info.reason:
        info.reason = english(N_("stopped; continue with: tui-dl --batch --resume {folder}"), folder=str(folder))
    if problems and not info.reason:
        info.reason = _joined(problems)
    return info


def _fill(info: RunInfo, summary: dict[str, Any] | None, events: list[dict[str, Any]],
          started: list[dict[str, Any]]) -> None:
    first, latest = (started[0], started[-1]) if started else ({}, {})
    epochs = [e for e in events if e.get("event") == "epoch"]
    # the final event is the last line; an older one (before a resume) does not count
    finished = events[-1] if events and events[-1].get("event") == "finished" else None
    s = summary or {}
    info.experiment = str(s.get("name") or first.get("name") or "")
    info.dataset = str(s.get("dataset") or latest.get("dataset") or "")
    info.device = str(latest.get("device_name") or s.get("device_name") or latest.get("device") or "")
    info.epochs_planned = latest.get("epochs") if isinstance(latest.get("epochs"), int) else None
    if epochs:
        info.epochs = len({e.get("epoch") for e in epochs})
        info.final_val_accuracy = _num(epochs[-1].get("val_accuracy"))
        best = [e for e in epochs if e.get("is_best")]
        info.best_val_accuracy = _num(best[-1].get("val_accuracy")) if best else None
        info.train_seconds = sum(_num(e.get("seconds")) or 0.0 for e in epochs)
        info.images_per_second = _num(epochs[-1].get("images_per_second"))
    elif isinstance(s.get("epochs_run"), int):
        info.epochs = s["epochs_run"]
    if finished is not None:
        info.test_accuracy = _num(finished.get("test_accuracy"))
        info.images_per_second = _num(finished.get("train_images_per_second")) or info.images_per_second
        if finished.get("best_val_accuracy") is not None:
            info.best_val_accuracy = _num(finished.get("best_val_accuracy"))
    if summary is not None and (finished is not None or not events):
        final = s.get("final") if isinstance(s.get("final"), dict) else {}
        best = s.get("best") if isinstance(s.get("best"), dict) else {}
        info.test_accuracy = _num(s.get("test_accuracy"))
        info.best_val_accuracy = _num(best.get("val_accuracy")) if best else info.best_val_accuracy
        info.final_val_accuracy = _num(final.get("val_accuracy")) if final else info.final_val_accuracy
        info.train_seconds = _num(s.get("train_seconds")) or info.train_seconds
        info.images_per_second = _num(s.get("train_images_per_second")) or info.images_per_second
        if isinstance(s.get("epochs_run"), int):
            info.epochs = s["epochs_run"]


def scan(paths: Iterable[str | os.PathLike]) -> list[RunInfo]:
    """The rows of every run folder under ``paths`` (missing paths as broken rows)."""
    paths = list(paths)
    roots = [Path(os.path.expanduser(str(p))) for p in paths]
    out = []
    for item in find_runs(paths):
        if isinstance(item, tuple):
            out.append(RunInfo(path=str(item[0]), status="broken", reason=item[1], name=item[0].name))
        else:
            info = read_run(item)
            info.name = _name_under(item, roots)
            out.append(info)
    return out


def _name_under(folder: Path, roots: list[Path]) -> str:
    """The run's name in the table: its path under the folder given (``section-2/alice``), so two students'
    ``alice`` folders in different sections are told apart; the folder's own name when it was given itself."""
    for root in roots:
        try:
            rel = folder.relative_to(root)
        except ValueError:
            continue
        if rel.parts:
            return rel.as_posix()
    return folder.name
