"""``LabController`` (``app.labs``): the app's side of the Learn view.

- It mounts the Learn view when its tab is first shown (until then ``app.learn_view`` is None), and opens the
  lab of a Build-view layer ("try it": :func:`tui_dl.app.lab_links.lab_for_layer`), once the view is there.
- It runs what a lab asks for that loads torch (the optimizer race, the autograd check) on a worker thread:
  the worker only posts a :class:`~tui_dl.app.messages.LabComputed` message, and the UI thread hands it to the
  view. Only the UI thread touches widgets.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from tui_dl.app.lab_links import lab_for_layer
from tui_dl.app.messages import LabComputed, LabRequested
from tui_dl.core.i18n import _

if TYPE_CHECKING:
    from tui_dl.app.app import TuiDL
    from tui_dl.core.model.spec import LayerSpec

WORKER_GROUP = "labs"


def _race(payload: dict):
    from tui_dl.core.labs.optimizers import race

    return race(**payload)


def _autograd(payload):
    from tui_dl.core.labs.backprop import autograd_check

    return autograd_check(payload)


TASKS = {"race": _race, "autograd": _autograd}


class LabController:
    def __init__(self, app: "TuiDL") -> None:
        self.app = app
        self.pending_link = None  #: a "try it" waiting for the Learn view to mount

    # ------------------------------------------------------------------ the view
    def ensure_view(self) -> None:
        """Mount the Learn view into its tab (once)."""
        app = self.app
        if app.query("#learn-view"):
            return
        from tui_dl.app.views.learn_view import LearnView  # its plots pull in plotext

        app.query_one("#learn-slot").mount(LearnView(id="learn-view"))

    def view_mounted(self) -> None:
        view = self.app.learn_view
        if view is not None and self.pending_link is not None:
            link, self.pending_link = self.pending_link, None
            view.open_link(link)

    def try_layer(self, layer: "LayerSpec") -> None:
        """Open the lab that shows ``layer`` with its arguments (or say that none does)."""
        link = lab_for_layer(layer.type, layer.params)
        if link is None:
            self.app.notify(_("No lab shows {kind} yet; the labs show Conv2d, MaxPool2d, AvgPool2d and the "
                              "activations (F6 opens them).").format(kind=layer.type), severity="warning", timeout=5)
            return
        self.pending_link = link
        self.app.action_show_view("learn")
        self.ensure_view()
        self.view_mounted()

    # ------------------------------------------------------------------ work on a worker thread
    def request(self, message: LabRequested) -> None:
        task = TASKS.get(message.task)
        if task is None:
            return
        self.app.run_worker(partial(self._work, message, task), thread=True, group=WORKER_GROUP,
                            name=f"lab {message.lab} {message.task}", exit_on_error=False)

    def _work(self, message: LabRequested, task) -> None:
        from tui_dl.core.labs.values import LabError

        try:
            result, error = task(message.payload), ""
        except LabError as e:
            result, error = None, e.message
        except Exception as e:  # shown in the lab, not a crash of the app
            result, error = None, f"{type(e).__name__}: {e}"
        if not self.app.closing_down:
            self.app.post_message(LabComputed(message.lab, message.task, message.serial, result, error))

    def computed(self, message: LabComputed) -> None:
        view = self.app.learn_view
        if view is not None:
            view.computed(message)
