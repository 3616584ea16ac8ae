"""What the command line does with stdout and stderr that are not a plain UTF-8 terminal.

- **Any encoding.** The tables and progress lines use ``×``, ``⌊⌋``, box drawing, ``✓``/``✗`` and ``→``. On a
  stream that can't encode them (``PYTHONIOENCODING=cp1252``, ``ascii``, an old Windows console) each one is
  written as its ASCII look-alike (``x``, ``floor(``, ``-``, ``ok``, ``->``...), and anything else unencodable as
  ``?``: the output degrades, it never raises ``UnicodeEncodeError``.
- **A closed pipe.** ``tui-dl --batch ... | head`` closes stdout after a few lines. Printing stops there, not the
  work: the stream is pointed at the null device, the run goes on to the end, its folder is complete, and the
  exit code is the run's.
"""

from __future__ import annotations

import codecs
import errno
import os
import sys

ERRORS = "tui_dl_ascii"

# Look-alikes for the characters tui-dl prints (what is not here becomes "?").
ASCII = {
    "×": "x", "·": ".", "⌊": "floor(", "⌋": ")", "⌈": "ceil(", "⌉": ")", "−": "-", "–": "-", "—": "-",
    "→": "->", "←": "<-", "↑": "^", "↓": "v", "≤": "<=", "≥": ">=", "≈": "~", "≠": "!=", "±": "+/-",
    "…": "...", "✓": "ok", "✗": "x", "✔": "ok", "✘": "x", "⚑": "!", "⚠": "!", "•": "*", "▸": ">", "►": ">",
    "▶": ">", "█": "#", "▇": "#", "▆": "#", "▅": "=", "▄": "=", "▃": "-", "▂": "_", "▁": "_", "░": ".",
    "▒": ":", "▓": "#", "²": "^2", "³": "^3", "√": "sqrt", "∑": "sum", "Σ": "sum", "∂": "d", "η": "eta",
    "β": "beta", "γ": "gamma", "ε": "eps", "λ": "lambda", "σ": "sigma", "μ": "mu", "δ": "delta", "°": "deg",
    "‘": "'", "’": "'", "“": '"', "”": '"', "µ": "u",
}


def _box(ch: str) -> str | None:
    """Box-drawing characters (U+2500–U+257F) as -, | and +."""
    code = ord(ch)
    if not 0x2500 <= code <= 0x257F:
        return None
    if ch in "─━┄┅┈┉╌╍═╴╶╸╺╼╾":
        return "-"
    if ch in "│┃┆┇┊┋╎╏║╵╷╹╻╽╿":
        return "|"
    return "+"


def ascii_fallback(err: UnicodeError):
    """A codecs error handler: each unencodable character becomes its ASCII look-alike."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out = []
    for ch in err.object[err.start:err.end]:
        out.append(ASCII.get(ch) or _box(ch) or "?")
    return "".join(out), err.end


codecs.register_error(ERRORS, ascii_fallback)


def _can_encode_all(stream) -> bool:
    enc = getattr(stream, "encoding", None) or "ascii"
    try:
        "×⌊─✓→".encode(enc)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def degrade_unencodable(*streams) -> None:
    """Give every stream that can't write tui-dl's characters the ASCII fallback (a no-op on UTF-8 streams)."""
    for s in streams:
        if s is not None and not _can_encode_all(s) and hasattr(s, "reconfigure"):
            try:
                s.reconfigure(errors=ERRORS)
            except (ValueError, OSError):  # a closed or detached stream: nothing will be written to it anyway
                pass


class PipeSafe:
    """A text stream that stops writing, silently, once its reader has gone (EPIPE), and keeps the program going.

    After the first broken pipe the underlying file descriptor is pointed at the null device, so later writes and
    the interpreter's final flush don't fail either. ``closed_by_reader`` says whether that happened."""

    def __init__(self, stream):
        self._stream = stream
        self.closed_by_reader = False

    def _gone(self) -> None:
        self.closed_by_reader = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._gone()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            self._gone()
        return len(text)

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise
            self._gone()

    def __getattr__(self, name):  # isatty, fileno, encoding, reconfigure...
        return getattr(self._stream, name)


def guard_pipes() -> tuple[PipeSafe, PipeSafe]:
    """Replace sys.stdout and sys.stderr with pipe-safe wrappers (idempotent); returns them."""
    if not isinstance(sys.stdout, PipeSafe):
        sys.stdout = PipeSafe(sys.stdout)
    if not isinstance(sys.stderr, PipeSafe):
        sys.stderr = PipeSafe(sys.stderr)
    return sys.stdout, sys.stderr
