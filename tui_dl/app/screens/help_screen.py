"""The help screen: what each view is for, and every key (the key tables come from :mod:`tui_dl.app.keys`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown

from tui_dl.app.screens.modal import Modal

from tui_dl.app.i18n_ui import TStatic
from tui_dl.app.keys import APP_SCOPES, INSIGHT_SCOPES, help_table
from tui_dl.core.i18n import N_, _

INTRO = N_("""\
Build a network, see every shape and parameter count with the arithmetic behind it, train it, and
compare runs, all in the terminal. Everything also works with the mouse; `ctrl+p` searches every command.""")
VIEWS_HEADING = N_("Views")
VIEWS_TABLE = N_("""\
| view | key | what it is for |
|---|---|---|
| **Build** | `F2` / `1` | the layer stack (left), the argument form of the selected layer, the live shape table and the *Explain* pane with the worked formulas. Errors are red on the layer itself; `f` applies the suggested fix. |
| **Setup** | `F3` / `2` | dataset, loss, optimizer and learning rate, batch size, epochs, scheduler, early stopping, seed, device. Invalid values are refused at the input with the reason. |
| **Train** | `F4` / `3` | loss curve (per step, smoothed, and validation per epoch), accuracy per epoch, the log with plain-language diagnoses, and after the run the test accuracy and confusion matrix. |
| **Runs** | `F5` / `4` | every run of this session (and run folders you open). Tick runs with `space` to overlay their curves on the Train plots: change one setting, train again, tick both. |
| **Learn** | `F6` / `5` | labs that show the course's ideas on small numbers, every step written out: activations and their derivatives, softmax, convolution, pooling, backprop on a 2-3-1 network, losses, optimizers racing on a surface. `t` in Build opens the lab of the selected layer. |""")
#: (heading, the scopes of its key table, the text under the table): the help screen's sections.
SECTIONS = (
    (N_("Keys everywhere"), APP_SCOPES, ""),
    (N_("Build view"), ("Build",), N_("""\
Empty argument inputs mean "default" (or "inferred from the incoming shape" for `in_channels`,
`in_features`, `num_features`). Pairs are written `3, 5` or `3x5`.""")),
    (N_("Train and Runs views"), ("Train", "Test result", "Runs"), N_("""\
The log adds a **⚑ diagnosis** when the curves show overfitting (training loss falling while the
validation loss rises for 2+ epochs), a flat loss (the learning rate may be too small) or a rising loss
(10× above where it started: the learning rate is probably too high).""")),
    (N_("Inside the model (after a run: `g`, `w`, `a` in the Train view)"), INSIGHT_SCOPES, N_("""\
The gallery draws test images with half blocks (two pixels per character). In the attack, ε is in pixel
units (images in [0, 1]); images the model already gets wrong count as failures, and the attack uses the
true labels.""")),
    (N_("Learn view"), ("Learn",), N_("""\
Each lab's inputs take numbers as you would write them: a vector `1 2 3`, a matrix `0 1 2; 3 4 5` (rows
separated by `;`), a pair `1,2` (rows, columns). A value the lab cannot use is named in red under the inputs.""")),
)


def help_text(translate: bool = True) -> str:
    """The help screen's markdown, in the language spoken now (``translate``) or in English."""
    tr = _ if translate else (lambda text: text)
    parts = ["# tui-dl", tr(INTRO), "## " + tr(VIEWS_HEADING), tr(VIEWS_TABLE)]
    for heading, scopes, after in SECTIONS:
        parts += ["## " + tr(heading), help_table(*scopes, translate=translate)]
        if after:
            parts.append(tr(after))
    return "\n\n".join(parts) + "\n"


#: The help in English (what the tests compare with the key table).
HELP = help_text(translate=False)


class HelpScreen(Modal[None]):
    """The help text scrolls: ↑↓, page up/down, home/end (the scroll area has the focus) and the mouse wheel."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", N_("Close"), show=False)]
    DEFAULT_CSS = """
    HelpScreen #help-scroll { height: 1fr; scrollbar-gutter: stable; }
    HelpScreen #help-scroll:focus { background-tint: transparent; }
    /* the views table (view, key, what it is for): its last column takes the width left, the others are as wide
       as their content. Textual's own sizing gives each column a share of its longest unbreakable run, and a
       Chinese sentence has no spaces: at 80 columns the view and key columns shrank to "…". (The two-column key
       tables repeat "auto auto": as before.) */
    HelpScreen MarkdownTableContent { grid-columns: auto auto 1fr; }
    /* and a Chinese sentence wider than its cell is folded onto the next line, not cut with "…" */
    HelpScreen MarkdownTableContent > .cell { text-overflow: fold; }
    """

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="help"):
            with VerticalScroll(id="help-scroll"):
                yield Markdown(help_text(), id="help-text")
            yield TStatic(N_("↑↓ pgup pgdn home end or the wheel scroll · esc close"), classes="dialog-help")

    def relabel(self) -> None:
        self.query_one("#help-text", Markdown).update(help_text())

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.close(None)
