"""The base of every modal screen: closing it is idempotent.

``Screen.dismiss`` pops whatever screen is on top and calls the result callback each time it is called. Two
closes of one modal (escape pressed again while the first close is still being processed, or a button and a key
in the same frame) therefore popped the screen *under* the modal, or raised ``ScreenStackError: Can't pop screen``
when that was the last one, and ran the callback twice. :meth:`Modal.close` closes once, only while the modal is
the top screen; every modal closes through it.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Modal(ModalScreen[ResultT]):
    _closed_once = False  # not "_closing": MessagePump uses that name for its own shutdown

    def close(self, result: ResultT | None = None) -> None:
        """Dismiss with ``result`` the first time; later calls (or calls once another screen is on top) do nothing."""
        if self._closed_once or not self.is_attached or self.app.screen is not self:
            return
        self._closed_once = True
        self.dismiss(result)
