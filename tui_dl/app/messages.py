"""App-level messages. The training worker posts only these (``post_message`` is thread-safe)."""

from __future__ import annotations

from dataclasses import dataclass

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
