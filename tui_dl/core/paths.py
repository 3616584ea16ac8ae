"""Paths the user typed: ``~`` expanded, with a message (not a RuntimeError) when it names no user.

``Path("~nosuchuser/x").expanduser()`` raises ``RuntimeError: Could not determine home directory``; every place
that expands a user's path goes through :func:`expand_user` instead, which raises :class:`PathProblem` (an
``OSError``, so the callers' existing "cannot use this path" handling applies) naming the path and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui_dl.core.i18n import _


class PathProblem(OSError):
    """A path cannot be used as written; ``str(e)`` names it and says what to write instead."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else _("the path cannot be used")


def expand_user(path: str | os.PathLike) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded."""
    p = Path(path)
    try:
        return p.expanduser()
    except RuntimeError:
        text = str(path)
        user = text[1:].split("/", 1)[0].split(os.sep, 1)[0]
        if user:
            message = _("{path}: there is no user {user} on this machine, so {tilde} cannot be expanded. Write the "
                        "full path (or ~/… for your own home folder)")
        else:
            message = _("{path}: your home folder is not known here, so {tilde} cannot be expanded. Write the full "
                        "path (or ~/… for your own home folder)")
        raise PathProblem(message.format(path=text, user=repr(user), tilde="~" + user)) from None


def cache_dir() -> Path:
    """tui-dl's folder in the user's cache: ``$XDG_CACHE_HOME/tui-dl`` (``~/.cache/tui-dl`` by default). Not
    created here; what is cached there can always be rebuilt."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "tui-dl"


def config_dir() -> Path:
    """tui-dl's folder in the user's configuration: ``$XDG_CONFIG_HOME/tui-dl`` (``~/.config/tui-dl`` by
    default). Not created here."""
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "tui-dl"
