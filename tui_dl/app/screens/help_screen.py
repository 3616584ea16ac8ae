"""The help screen: what each view is for, and every key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

HELP = """\
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

## Keys everywhere

| key | action |
|---|---|
| `ctrl+r` | start training / stop it (a checkpoint is saved) |
| `p` | pause / resume training |
| `ctrl+s` | save the experiment as YAML |
| `ctrl+o` | open a preset, a YAML file or a past run folder |
| `ctrl+l` | reload the file from disk |
| `ctrl+z` / `ctrl+y` | undo / redo any edit (layers and settings) |
| `F2`…`F5`, `1`…`4` | switch view |
| `ctrl+t` | dark / light theme |
| `ctrl+p` | command palette |
| `?` / `F1` | this help |
| `ctrl+q` | quit (asks first while training) |

## Build view

| key | action |
|---|---|
| `a` | add a layer after the selected one (type to filter the list) |
| `i` | insert a layer before the selected one |
| `n` | add a layer inside the selected Residual block |
| `d` / `delete` | delete the selected layer |
| `c` | duplicate the selected layer |
| `shift+↑` / `shift+↓` | move the layer up / down |
| `f` | apply the suggested fix for the error |
| `enter` / `e` | edit the selected layer's arguments |
| `esc` | back to the layer list |
| `tab` | next pane |

Empty argument inputs mean "default" (or "inferred from the incoming shape" for `in_channels`,
`in_features`, `num_features`). Pairs are written `3, 5` or `3x5`.

## Train and Runs views

| key | action |
|---|---|
| `z` | zoom the focused pane (again to restore) |
| `l` | (Train) logarithmic loss axis |
| `space` | (Runs) tick / untick a run for the overlay |
| `enter` | (Runs) show that run's curves, log and results in the Train view |
| `r` | (Runs) resume a stopped run from its checkpoint |
| `o` | (Runs) open a past run folder |

The log adds a **⚑ diagnosis** when the curves show overfitting (training loss falling while the
validation loss rises for 2+ epochs), a flat loss (the learning rate may be too small) or a rising loss
(10× above where it started: the learning rate is probably too high).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            yield Markdown(HELP, id="help-text")
            yield Static("esc close", classes="dialog-help")

    def action_close(self) -> None:
        self.dismiss(None)
