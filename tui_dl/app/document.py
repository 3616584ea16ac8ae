"""The open experiment with its undo/redo history (plain Python, no Textual).

Every edit replaces the whole :class:`Experiment` value (its network and configs are frozen
dataclasses), so undo is a stack of values. Consecutive edits with the same ``key`` (typing
into one input) coalesce into a single undo step, as in a text editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_dl.core.config.experiment import Experiment

MAX_HISTORY = 500


@dataclass
class Document:
    experiment: Experiment
    #: Where the experiment was read from or last saved to (None for a new one).
    path: Path | None = None
    #: What the UI had selected (a layer path); stored with each undo step and restored by undo.
    selection: Any = None
    _undo: list[tuple[Experiment, Any]] = field(default_factory=list)
    _redo: list[tuple[Experiment, Any]] = field(default_factory=list)
    _last_key: Any = None
    _saved: dict | None = None

    def __post_init__(self):
        self._saved = self.experiment.to_dict() if self.path is not None else None

    # ------------------------------------------------------------------ edits
    def edit(self, new: Experiment, *, key: Any = None, selection: Any = None) -> bool:
        """Make ``new`` current. Returns False (and records nothing) when nothing changed."""
        if new.to_dict() == self.experiment.to_dict():
            if selection is not None:
                self.selection = selection
            return False
        if key is None or key != self._last_key or not self._undo:
            self._undo.append((self.experiment, self.selection))
            del self._undo[:-MAX_HISTORY]
        self._redo.clear()
        self.experiment = new
        self._last_key = key
        if selection is not None:
            self.selection = selection
        return True

    def end_coalescing(self) -> None:
        """The next edit starts a new undo step even if it has the same key."""
        self._last_key = None

    def undo(self) -> bool:
        if not self._undo:
            return False
        self._redo.append((self.experiment, self.selection))
        self.experiment, self.selection = self._undo.pop()
        self._last_key = None
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        self._undo.append((self.experiment, self.selection))
        self.experiment, self.selection = self._redo.pop()
        self._last_key = None
        return True

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    # ------------------------------------------------------------------ files
    def replace(self, experiment: Experiment, path: Path | None) -> None:
        """A newly opened experiment: history and selection start over."""
        self.experiment = experiment
        self.path = path
        self.selection = None
        self._undo.clear()
        self._redo.clear()
        self._last_key = None
        self._saved = experiment.to_dict() if path is not None else None

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self._saved = self.experiment.to_dict()
        self._last_key = None

    @property
    def modified(self) -> bool:
        """Changed since it was opened or saved (a new, never-saved experiment is modified once edited)."""
        if self._saved is None:
            return bool(self._undo)
        return self.experiment.to_dict() != self._saved
