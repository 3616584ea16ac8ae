"""Following a run that another process is training: ``metrics.jsonl`` tailed as it grows.

:class:`Follower` reads the events already in the file, then the lines appended after them, as training event
records (:func:`~tui_dl.core.training.events.event_from_dict`), so a live run is shown through the same path as a
run trained here. Between the events it reports what happened to the run:

- :class:`Restarted`: the file was rewritten (``--resume`` cuts the lines logged after its checkpoint and writes the
  file anew): the events start over from the first line;
- :class:`RunEnded`: the last event is a final one (``finished``), or the writer is gone without one: no new line
  for ``grace`` seconds and the process named in the folder's lock file (``.tui-dl.lock``: pid, host) is dead or the
  lock was released (it was killed, crashed, or failed to write); a writer on another host, which cannot be checked
  from here, is declared gone after ``stale_after`` seconds without an event.

A last line without its newline is the writer mid-write: it is kept back until the rest arrives, never an error.

Plain Python (no torch).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from tui_dl.core.i18n import N_, _
from tui_dl.core.runs.lock import holder
from tui_dl.core.runs.scan import writer_alive
from tui_dl.core.training.events import Notice, english, event_from_dict

__all__ = ["Follower", "Restarted", "RunEnded", "follow", "is_live"]

FINAL_EVENTS = ("finished",)


@dataclass(frozen=True)
class Restarted:
    """The run's metrics.jsonl was rewritten (a resume): the events that follow start from its first line."""

    message: str


@dataclass(frozen=True)
class RunEnded:
    """The follower stops: ``how`` is ``finished`` (a final event; ``status`` is its status), ``died`` (the
    writer is gone without one), ``stalled`` (no event for ``stale_after`` seconds from a writer on another
    host) or ``missing`` (no run appeared)."""

    how: str
    message: str
    status: str = ""


def is_live(run_dir: str | os.PathLike) -> bool:
    """Whether a run folder is still being written: its last event is not a final one and its writer is alive
    (or cannot be checked, on another host)."""
    folder = Path(run_dir)
    if writer_alive(folder) is False:
        return False
    last = _last_event(folder / "metrics.jsonl")
    return last is None or last.get("event") not in FINAL_EVENTS


def _last_event(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 65536))
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if isinstance(d, dict):
            return d
    return None


class Follower:
    """Tail ``run_dir/metrics.jsonl``. :meth:`poll` returns what is new (events, then maybe a :class:`Restarted` or
    :class:`RunEnded`) without waiting; iterating waits ``interval`` seconds between polls until the run ends."""

    def __init__(self, run_dir: str | os.PathLike, *, interval: float = 0.25, grace: float = 2.0,
                 stale_after: float = 600.0, wait_start: float = 15.0,
                 clock: Callable[[], float] = time.monotonic):
        self.dir = Path(run_dir)
        self.path = self.dir / "metrics.jsonl"
        self.interval, self.grace, self.stale_after, self.wait_start = interval, grace, stale_after, wait_start
        self.clock = clock
        self._offset = 0
        self._ino: int | None = None
        self._partial = b""
        self._t_start = clock()
        self._t_last = clock()       # when the file last grew
        self.last_event: dict[str, Any] | None = None
        self.events_read = 0
        self.ended: RunEnded | None = None
        self._told_resuming = False

    # -- reading ----------------------------------------------------------------------------------
    def _read_new(self) -> tuple[list[bytes], bool]:
        """Complete new lines, and whether the file was rewritten since the last read."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return [], False
        restarted = False
        if self._ino is not None and (st.st_ino != self._ino or st.st_size < self._offset):
            restarted = True
            self._offset, self._partial = 0, b""
        self._ino = st.st_ino
        if st.st_size == self._offset:
            return [], restarted
        with open(self.path, "rb") as f:
            if os.fstat(f.fileno()).st_ino != self._ino:  # replaced between stat and open: next poll sees it
                return [], restarted
            f.seek(self._offset)
            chunk = f.read()
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # b"" after a complete last line; else the writer is mid-line
        return [x for x in lines if x.strip()], restarted

    def poll(self) -> list[Any]:
        """What happened since the last call: training event records, :class:`Restarted`, :class:`RunEnded`."""
        if self.ended is not None:
            return []
        out: list[Any] = []
        lines, restarted = self._read_new()
        if restarted:
            self.last_event = None
            out.append(Restarted(_("{path} was rewritten (the run was resumed): following it from the "
                                   "start").format(path=self.path)))
        now = self.clock()
        if lines or restarted:
            self._t_last = now
        for raw in lines:
            try:
                d = json.loads(raw.decode("utf-8", errors="replace"))
                ev = event_from_dict(d)
            except (ValueError, KeyError, TypeError):
                continue  # a foreign or damaged line: skip it, as reading a past run does
            self.last_event = d
            self.events_read += 1
            out.append(ev)
        if self.last_event is not None and self.last_event.get("event") in FINAL_EVENTS:
            resumer = self._newer_writer(self.last_event)
            if resumer is not None:  # a --resume holds the folder and has not rewritten metrics.jsonl yet
                if not self._told_resuming:
                    self._told_resuming = True
                    out.append(Notice("info", english(N_("the run is being resumed by {resumer}: these were its "
                                                         "events before; following the resumed run as it writes"),
                                                      resumer=resumer)))
                return out
            status = str(self.last_event.get("status", ""))
            # TRANSLATORS: {status} is a code word (completed, diverged...)
            out.append(self._end("finished", _("the run ended: {status}").format(status=status), status))
            return out
        if not lines:
            verdict = self._verdict(now)
            if verdict is not None:
                out.append(verdict)
        return out

    def _newer_writer(self, final: dict[str, Any]) -> str | None:
        """Who holds the folder's lock, when it is a live writer that took it after ``final`` was written (a
        ``--resume`` of the ended run, before its first rewrite of metrics.jsonl); else None."""
        if writer_alive(self.dir) is False:
            return None
        h = holder(self.dir) or {}
        t = final.get("time")
        try:
            since = time.mktime(time.strptime(str(h.get("since")), "%Y-%m-%d %H:%M:%S"))
        except (ValueError, OverflowError):
            return None
        if not isinstance(t, (int, float)) or since < t + 1:  # the lock is as old as the run that ended
            return None
        return _("process {pid} on {host}").format(pid=h.get("pid"), host=h.get("host", "?"))

    def _end(self, how: str, message: str, status: str = "") -> RunEnded:
        self.ended = RunEnded(how, message, status)
        return self.ended

    def _verdict(self, now: float) -> RunEnded | None:
        quiet = now - self._t_last
        if not self.dir.is_dir():
            if now - self._t_start >= self.wait_start:
                return self._end("missing", _("{folder}: no such run folder").format(folder=self.dir))
            return None
        alive = writer_alive(self.dir)
        if alive is True or quiet < self.grace:
            return None
        h = holder(self.dir) or {}
        if alive is None:
            if quiet >= self.stale_after:
                return self._end("stalled", _("no event for {seconds:.0f} s; the writer runs on {host} (pid {pid}), "
                                              "which cannot be checked from here").format(
                    seconds=quiet, host=h.get("host"), pid=h.get("pid")))
            return None
        if self._ino is None:  # no metrics.jsonl yet, nobody writing
            if now - self._t_start >= self.wait_start:
                return self._end("missing", _("{folder} holds no metrics.jsonl and no process is training into "
                                              "it").format(folder=self.dir))
            return None
        if h.get("pid"):
            text = _("process {pid} on {host} is gone and the run has no final event: it was killed or crashed. "
                     "Continue it with: tui-dl --batch --resume {folder}")
        else:
            text = _("its writer is gone and the run has no final event: it was killed or crashed. Continue it "
                     "with: tui-dl --batch --resume {folder}")
        return self._end("died", text.format(pid=h.get("pid"), host=h.get("host", "?"), folder=self.dir))

    def __iter__(self) -> Iterator[Any]:
        return follow(self)


def follow(follower: Follower, should_stop: threading.Event | None = None) -> Iterator[Any]:
    """Poll ``follower`` until the run ends (the last item is a :class:`RunEnded`) or ``should_stop`` is set."""
    while True:
        items = follower.poll()
        yield from items
        if follower.ended is not None:
            return
        if should_stop is not None:
            if should_stop.wait(follower.interval):
                return
        else:
            time.sleep(follower.interval)
