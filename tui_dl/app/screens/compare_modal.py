"""The Compare dialog: run the open experiment once per value of one setting (``ModalScreen[str | None]``).

Choose what to sweep (optimizers, activations, learning rates, batch sizes), edit the values, enter: the dialog
checks the sweep with the same rules as ``tui-dl --batch FILE --sweep ...`` (:mod:`tui_dl.core.config.sweep`)
and returns the axis text (``train.optimizer.name=sgd,momentum,adam``); a bad value is said in the dialog, which
stays open. The training controller then runs the experiments one after another and overlays their curves.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.screens.modal import Modal
from tui_dl.core.i18n import _, N_
from tui_dl.core.config.sweep import SweepError, build_combinations, parse_axis

#: (id, title, sweep key, the values offered first)
CHOICES = (
    ("optimizer", N_("optimizers"), "train.optimizer.name", "gd,sgd,momentum,adagrad,rmsprop,adam"),
    ("activation", N_("activations"), "activation", "ReLU,Tanh,Sigmoid"),
    ("lr", N_("learning rates"), "train.lr", "0.1,0.01,0.001"),
    ("batch", N_("batch sizes"), "train.batch_size", "32,64,128"),
)


def check_axis(experiment, key: str, values: str):
    """The sweep's combinations for ``key=values`` on ``experiment``, or :class:`SweepError`."""
    axis = parse_axis(f"{key}={values}")
    return build_combinations(experiment.to_dict(), [axis], experiment.source or "<app>"), axis


class CompareModal(Modal[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), show=False)]

    def __init__(self, experiment) -> None:
        super().__init__()
        self.experiment = experiment
        self.choice = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="compare"):
            yield TStatic(N_("Compare: run this experiment once per value"), classes="dialog-title")
            yield OptionList(*(Option(_(title), id=cid) for cid, title, _k, _v in CHOICES), id="compare-what")
            yield Input(CHOICES[0][3], placeholder=_("values, comma-separated"), id="compare-values")
            yield Static("", id="compare-problem", classes="dialog-note")
            yield TStatic(N_("Every run starts from the same initial weights (the same seed) and sees the batches "
                             "in the same order, so the curves differ only by what you sweep; they are overlaid on "
                             "the Train plots, each labelled with its value. Headless: tui-dl --batch FILE --sweep "
                             "KEY=V1,V2."), classes="dialog-note")
            yield TStatic(N_("↑↓ what to sweep · enter edit its values · enter again: run them one after another · "
                             "esc cancel"), classes="dialog-help")

    def on_mount(self) -> None:
        options = self.query_one("#compare-what", OptionList)
        options.highlighted = 0
        options.focus()

    def relabel(self) -> None:
        self.query_one("#compare-values", Input).placeholder = _("values, comma-separated")
        options = self.query_one("#compare-what", OptionList)
        for i, (_cid, title, _k, _v) in enumerate(CHOICES):
            options.replace_option_prompt_at_index(i, _(title))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index is None or event.option_index == self.choice:
            return
        self.choice = event.option_index
        self.query_one("#compare-values", Input).value = CHOICES[self.choice][3]
        self.query_one("#compare-problem", Static).update("")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#compare-values", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = CHOICES[self.choice][2]
        try:
            combos, axis = check_axis(self.experiment, key, event.value)
        except SweepError as e:
            # the core words it for the command line ("--sweep KEY=V: ..."); the dialog has no --sweep
            self.query_one("#compare-problem", Static).update(Text(str(e).removeprefix("--sweep "),
                                                                   style="bold red"))
            return
        if len(combos) < 2:
            self.query_one("#compare-problem", Static).update(Text(_("give at least two values to compare"),
                                                                   style="bold red"))
            return
        self.close(axis.text)

    def action_cancel(self) -> None:
        self.close(None)
