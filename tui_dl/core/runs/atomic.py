"""Atomic file writes: the one way tui-dl writes checkpoints, run files and experiment YAML.

The content goes to a temp file in the same folder, is flushed and fsynced, then ``os.replace`` puts it in
place and the folder is fsynced: a crash, a kill or a full disk never leaves a half-written file, and the
previous file stays intact until the new one is whole. No torch here (the YAML writer must not import it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Callable


def atomic_write(path: str | os.PathLike, write: Callable[[IO], None], *, binary: bool = False) -> Path:
    """Call ``write(f)`` on a temp file beside ``path``, then move it into place; returns the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with (open(tmp, "wb") if binary else open(tmp, "w", encoding="utf-8")) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return path
