"""What every lab of the Learn view shares: a row of small inputs, a board that shows the worked numbers, a line
of errors and a line of keys.

A lab keeps the text of its inputs in ``values``; every change calls :meth:`LabPane.compute` (the core lab's
function: no maths here) and then :meth:`LabPane.draw`. Input a lab cannot use shows the core's
:class:`~tui_dl.core.labs.values.LabError` message under the inputs, names the input at fault, and leaves the
last good result on the board. The Learn view's keys arrive as ``step``, ``bump``, ``mode``...: a lab overrides
the ones it uses.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, Label, Static

from tui_dl.app.i18n_ui import TLabel, TStatic
from tui_dl.app.widgets.colors import palette
from tui_dl.core.i18n import _
from tui_dl.core.labs.values import LabError, parse_vector


class LabBoard(VerticalScroll, inherit_bindings=False):
    """The scrolling area of a lab. It scrolls with ↑/↓ and the page keys only: ←/→ and home/end belong to the
    lab (the Learn view's keys)."""

    BINDINGS = [Binding("up", "scroll_up", show=False), Binding("down", "scroll_down", show=False),
                Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False)]


def pair_text(text: str, field: str, minimum: int = 0):
    """``"2"`` → 2, ``"1,2"`` → [1, 2] (a whole number or a rows,columns pair, each ≥ ``minimum``)."""
    values = parse_vector(text, field)
    if len(values) not in (1, 2) or any(not isinstance(v, int) or v < minimum for v in values):
        raise LabError(_("{field} is a whole number ≥ {minimum} or a pair rows,columns (e.g. 2 or 1,2)").format(
            field=field, minimum=minimum), field)
    return values[0] if len(values) == 1 else list(values)


def number(text: str, field: str) -> float:
    values = parse_vector(text, field)
    if len(values) != 1:
        raise LabError(_("{field} is one number").format(field=field), field)
    return float(values[0])


class LabPane(Vertical):
    """One lab: ``FIELDS`` (rows of (name, label, width)) make the inputs, ``DEFAULTS`` their first text.
    ``TITLE``, ``HEADING``, ``HINT`` and the field labels are English marked with ``N_``: they are translated
    where they are shown."""

    LAB: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    HEADING: ClassVar[str] = ""  #: the lab's border title
    HINT: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[tuple[tuple[str, str, int], ...], ...]] = ()
    DEFAULTS: ClassVar[dict[str, str]] = {}
    #: The board scrolls (a lab whose board fills the space it has sets False: a plain Vertical).
    BOARD_SCROLLS: ClassVar[bool] = True

    DEFAULT_CSS = """
    LabPane { height: 1fr; padding: 0 1; }
    LabPane .lab-fields { height: 1; }
    LabPane .lab-fields Label { width: auto; padding: 0 1 0 0; color: $text-muted; }
    LabPane .lab-fields Input { margin: 0 2 0 0; background: $boost; }
    LabPane .lab-fields Input:focus { background: $primary 20%; }
    LabPane .lab-fields Input.-invalid { color: $error; text-style: bold; }
    LabPane .lab-error { color: $error; height: auto; display: none; }
    LabPane .lab-hint { color: $text-muted; height: auto; max-height: 2; }
    LabPane .lab-board { height: 1fr; }
    LabPane .lab-board > Static { width: 1fr; height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(id=f"lab-{self.LAB}", classes="lab-pane", **kwargs)
        self.values: dict[str, str] = dict(self.DEFAULTS)
        self.error: LabError | None = None
        self._shown: dict[str, object] = {}

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        for row in self.FIELDS:
            with Horizontal(classes="lab-fields"):
                for name, label, width in row:
                    yield TLabel(label)
                    editor = Input(self.values.get(name, ""), id=f"{self.LAB}-{name}", compact=True)
                    editor.styles.width = width
                    yield editor
        yield Static("", classes="lab-error")
        with (LabBoard if self.BOARD_SCROLLS else Vertical)(classes="lab-board"):
            yield from self.board()
        yield TStatic(self.HINT, classes="lab-hint")

    def board(self) -> ComposeResult:
        """The widgets that show the lab's numbers (a Static by default, drawn by :meth:`draw`)."""
        yield Static("", classes="lab-text")

    def on_mount(self) -> None:
        self.recompute()

    def relabel(self) -> None:
        """After a language switch: compute again (the core's worked lines come in the new language) and draw."""
        self.recompute()

    @property
    def pal(self):
        return palette(self.app)

    def mark(self, color: str) -> str:
        """A highlighted cell: dark bold text on a theme colour (readable in both themes)."""
        return f"bold black on {color}"

    def editor(self, name: str) -> Input:
        return self.query_one(f"#{self.LAB}-{name}", Input)

    def put(self, selector: str, renderable) -> None:
        """Show ``renderable`` in the Static ``selector`` (kept, so :meth:`text` can read the board back)."""
        self._shown[selector] = renderable
        self.query_one(selector, Static).update(renderable)

    def text(self, width: int = 200) -> str:
        """What the board says, as plain text (tests read it)."""
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=width, color_system=None)
        for renderable in self._shown.values():
            console.print(renderable)
        return console.file.getvalue()

    # ------------------------------------------------------------------ inputs
    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = (event.input.id or "").removeprefix(f"{self.LAB}-")
        if name in self.values or any(name == f[0] for row in self.FIELDS for f in row):
            self.values[name] = event.value
            self.recompute()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()

    def set_values(self, **values: str) -> None:
        """Put text into the inputs (from a key, or "try it") without each one recomputing; then recompute."""
        for name, text in values.items():
            self.values[name] = str(text)
            found = self.query(f"#{self.LAB}-{name}")
            if found:
                editor = found.first(Input)
                with editor.prevent(Input.Changed):
                    editor.value = str(text)
        self.recompute()

    def recompute(self) -> None:
        try:
            self.compute()
        except LabError as e:
            self.show_error(e)
            return
        self.show_error(None)
        self.draw()

    def show_error(self, error: LabError | None) -> None:
        self.error = error
        line = self.query_one(".lab-error", Static)
        line.display = error is not None
        for editor in self.query(".lab-fields Input").results(Input):
            editor.set_class(error is not None and editor.id == f"{self.LAB}-{error.field}", "-invalid")
        if error is not None:
            where = f"{error.field}: " if error.field else ""
            line.update(Text(f"✗ {where}{error.message}"))

    # ------------------------------------------------------------------ what a lab provides
    def compute(self) -> None:
        """Run the core lab on ``values`` (raise LabError for input it cannot use)."""

    def draw(self) -> None:
        """Show the last result."""

    def apply(self, settings: dict) -> None:
        """Open with these inputs ("try it" from the Build view)."""
        self.set_values(**{k: v for k, v in settings.items() if k in self.values})

    def ask(self, task: str, serial: int, payload) -> None:
        """Ask the app for work that loads torch (:class:`~tui_dl.app.messages.LabRequested`); the answer comes
        back through :meth:`computed`. The message is made on this lab's own turn: one made while the Learn view
        handles a key or a list message would count the view as its sender and stop bubbling there."""
        from tui_dl.app.messages import LabRequested

        self.call_later(lambda: self.post_message(LabRequested(self.LAB, task, serial, payload)))

    def activated(self) -> None:
        """The lab is shown (each time)."""

    def computed(self, message) -> None:
        """A worker's answer (:class:`~tui_dl.app.messages.LabComputed`)."""

    # the Learn view's keys; a lab overrides those it uses
    def step(self, n: int) -> None: ...
    def bump(self, n: int) -> None: ...
    def mode(self) -> None: ...
    def overlay(self) -> None: ...
    def toggle_loss(self) -> None: ...
    def autograd(self) -> None: ...
    def take_update(self) -> None: ...
    def next_optimizer(self) -> None: ...
    def cycle_beta(self) -> None: ...
    def variant(self) -> None: ...
    def move_start(self, dx: int, dy: int) -> None: ...
