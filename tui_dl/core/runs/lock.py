"""One writer per run folder: a lock file that two training processes cannot both hold.

``RunLock(folder)`` takes an exclusive, non-blocking OS lock on ``folder/.tui-dl.lock`` (``flock`` on POSIX,
``msvcrt.locking`` on Windows) and writes the holder's pid, host and start time into it. The operating system
drops the lock when the process ends, however it ends, so a crash or ``kill -9`` leaves no stale lock: a
leftover file that nobody holds is simply taken over. A second process gets :class:`RunFolderBusy`, whose
message names the folder and the holder and says what to do.

Plain Python (no torch).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from tui_dl.core.i18n import _

LOCK_NAME = ".tui-dl.lock"


class RunFolderBusy(Exception):
    """Another process is writing this run folder; ``str(e)`` says which and what to do."""


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def holder(folder: str | os.PathLike) -> dict | None:
    """What the lock file says about its holder (pid, host, since), or None if there is none or it is unreadable."""
    try:
        data = json.loads((Path(folder) / LOCK_NAME).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


class RunLock:
    """``with RunLock(folder): ...`` holds the folder's lock for the block (or call ``acquire``/``release``)."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> "RunLock":
        if self._fd is not None:
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        for _attempt in range(5):  # the file may be removed between our open and our lock by a releasing holder
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                os.close(fd)
                raise RunFolderBusy(self._busy_message())
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # we locked a file that was unlinked meanwhile: try the new one
                _unlock(fd)
                os.close(fd)
                continue
            info = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%d %H:%M:%S")}
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(info).encode())
            self._fd = fd
            return self
        raise RunFolderBusy(self._busy_message())

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            self.path.unlink()
        except OSError:
            pass
        _unlock(fd)
        os.close(fd)

    def _busy_message(self) -> str:
        h = holder(self.folder) or {}
        if "pid" in h:
            return _("the run folder {folder} is in use: process {pid} on {host} since {since} is training into it. "
                     "Wait for that run to end, or write this one elsewhere (another --out)").format(
                folder=self.folder, pid=h["pid"], host=h.get("host", "?"), since=h.get("since", "?"))
        return _("the run folder {folder} is in use: another process is training into it. Wait for that run to end, "
                 "or write this one elsewhere (another --out)").format(folder=self.folder)

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
