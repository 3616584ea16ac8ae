"""The help screen: what each view is for, and every key (the key tables come from :mod:`tui_dl.app.keys`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from tui_dl.app.screens.modal import Modal

from tui_dl.app.keys import APP_SCOPES, INSIGHT_SCOPES, help_table

HELP = f"""\
# tui-dl

Build a network, see every shape and parameter count with the arithmetic behind it, train it, and
compare runs, all in the terminal. Everything also works with the mouse; `ctrl+p` searches every command.

## Views

| view | key | what it is for |
|---|---|---|
| **Build** | `F2` / `1` | the layer stack (left), the argument form of the selected layer, the live shape table and the *Explain* pane with the worked formulas. Errors are red on the layer itself; `f` applies the suggested fix. |
| **Setup** | `F3` / `2` | dataset, loss, optimizer and learning rate, batch size, epochs, scheduler, early stopping, seed, device. Invalid values are refused at the input with the reason. |
| **Train** | `F4` / `3` | loss curve (per step, smoothed, and validation per epoch), accuracy per epoch, the log with plain-language diagnoses, and after the run the test accuracy and confusion matrix. |
| **Runs** | `F5` / `4` | every run of this session (and run folders you open). Tick runs with `space` to overlay their curves on the Train plots: change one setting, train again, tick both. |
| **Learn** | `F6` / `5` | labs that show the course's ideas on small numbers, every step written out: activations and their derivatives, softmax, convolution, pooling, backprop on a 2-3-1 network, losses, optimizers racing on a surface. `t` in Build opens the lab of the selected layer. |

## Keys everywhere

{help_table(*APP_SCOPES)}

## Build view

{help_table("Build")}

Empty argument inputs mean "default" (or "inferred from the incoming shape" for `in_channels`,
`in_features`, `num_features`). Pairs are written `3, 5` or `3x5`.

## Train and Runs views

{help_table("Train", "Test result", "Runs")}

The log adds a **⚑ diagnosis** when the curves show overfitting (training loss falling while the
validation loss rises for 2+ epochs), a flat loss (the learning rate may be too small) or a rising loss
(10× above where it started: the learning rate is probably too high).

## Inside the model (after a run: `g`, `w`, `a` in the Train view)

{help_table(*INSIGHT_SCOPES)}

The gallery draws test images with half blocks (two pixels per character). In the attack, ε is in pixel
units (images in [0, 1]); images the model already gets wrong count as failures, and the attack uses the
true labels.

## Learn view

{help_table("Learn")}

Each lab's inputs take numbers as you would write them: a vector `1 2 3`, a matrix `0 1 2; 3 4 5` (rows
separated by `;`), a pair `1,2` (rows, columns). A value the lab cannot use is named in red under the inputs.
"""


class HelpScreen(Modal[None]):
    """The help text scrolls: ↑↓, page up/down, home/end (the scroll area has the focus) and the mouse wheel."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", show=False)]
    DEFAULT_CSS = """
    HelpScreen #help-scroll { height: 1fr; scrollbar-gutter: stable; }
    HelpScreen #help-scroll:focus { background-tint: transparent; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(HELP, id="help-text")
            yield Static("↑↓ pgup pgdn home end or the wheel scroll · esc close", classes="dialog-help")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.close(None)
