"""App-level messages: what the training worker posts (``post_message`` is thread-safe), and what views tell
the app. A message that only one view sends is declared on that view (``RunsView.ShowRun``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from tui_dl.core.training.events import StepDone


@dataclass
class TrainingEvents(Message):
    """A batch of trainer events, in order. Never replaced or dropped: the plots need every point."""

    run_id: int
    events: tuple


@dataclass
class TrainingProgress(Message):
    """The newest step, for the status bar. Replaceable: a busy UI only sees the latest."""

    run_id: int
    step: StepDone

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainingProgress) and message.run_id == self.run_id


@dataclass
class TrainingEnded(Message):
    """The worker has returned (or failed with ``error``)."""

    run_id: int
    error: str = ""


@dataclass
class DeviceDetected(Message):
    """What the background probe found: the training device, and dataset descriptions."""

    text: str
    datasets: dict


@dataclass
class EditRequested(Message):
    """A view's edit: the whole new experiment, for the app to check, record (undoable) and show everywhere."""

    experiment: Any
    #: Consecutive edits with the same key (typing into one input) make one undo step; ``("setting", …)`` keys
    #: are checked with the YAML loader's rules first.
    key: Any = None
    #: The layer path to select after the edit (``None``: the input row); ``...`` keeps the selection.
    selection: Any = ...


@dataclass
class ViewMounted(Message):
    """A view mounted after the first frame (``"setup"``, ``"train"`` or ``"runs"``) is ready to be shown
    the app's state."""

    view: str


@dataclass
class LabRequested(Message):
    """A Learn lab asks for work that loads torch (``task``: ``"race"``, ``"autograd"``), done on a worker
    thread by the app's lab controller; ``serial`` comes back with the answer, so a lab drops stale ones."""

    lab: str
    task: str
    serial: int
    payload: Any = None


@dataclass
class LabComputed(Message):
    """The worker's answer to a :class:`LabRequested`: the result, or ``error`` (one line)."""

    lab: str
    task: str
    serial: int
    result: Any = None
    error: str = ""
