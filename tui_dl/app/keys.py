"""Every key of the app, declared once in :data:`KEYS`: the bindings of the app and of its views, the command
palette's entries, the help screen's key tables and the README's key table are all made from it (a test keeps
the README's copy current: ``python -m tui_dl.cli.report`` prints it).

Importing this module imports no Textual (the README generator reads it); :func:`bindings` imports Textual's
``Binding`` when a class of the app is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Where a key works: the app's own keys, then the view whose class binds it.
APP_SCOPES = ("everywhere", "while training")
VIEW_SCOPES = ("Build", "Train", "Runs", "Learn")


@dataclass(frozen=True)
class Command:
    """A command palette entry: its title, what it does (the key is added in brackets), the app's action."""

    title: str
    help: str
    action: str


@dataclass(frozen=True)
class Key:
    """One key binding, and everything the app and its documentation say about it."""

    keys: str  #: Textual's key names, alternatives comma-separated: ``d,delete``
    action: str  #: the action of the class that binds it; "" for a key Textual handles itself (tab, ctrl+p)
    where: str  #: one of APP_SCOPES (bound by the app) or VIEW_SCOPES (bound by that view)
    help: str  #: the help screen's words ("" for a key that shares the row of ``joins``)
    doc: str = ""  #: the README's words, where it says more than the help screen
    label: str = ""  #: the footer's label
    id: str = ""
    show: bool = True  #: in the footer
    priority: bool = False
    command: Command | None = None
    joins: str = ""  #: the id of the key whose table row this key shares (ctrl+y shares ctrl+z's)
    shown: str = ""  #: the key cell of the tables, where it is not just the keys (several bindings, enter)


KEYS: tuple[Key, ...] = (
    # ---------------------------------------------------------------- the app's (every view)
    Key("ctrl+r", "toggle_training", "everywhere", "start training / stop it (a checkpoint is saved)",
        "start training / stop it (the trainer finishes the step and saves a checkpoint)",
        label="Train", id="train.start", priority=True,
        command=Command("Train: start / stop", "Start training the current experiment, or stop it",
                        "toggle_training")),
    Key("p", "pause_training", "while training", "pause / resume training",
        "pause / resume (the worker stops pulling the next step)", label="Pause", id="train.pause",
        command=Command("Train: pause / resume", "Pause or resume the running training", "pause_training")),
    Key("ctrl+s", "save", "everywhere", "save the experiment as YAML",
        "save the experiment as YAML (asks for a path; defaults to the opened file or `<name>.yaml`; confirms "
        "before overwriting another file; a shipped preset is never overwritten: its copy defaults to "
        "`./<preset>.yaml`)", label="Save", id="file.save", priority=True,
        command=Command("File: save", "Save the experiment as YAML", "save")),
    Key("ctrl+o", "open", "everywhere", "open a preset, a YAML file, a past run folder or a checkpoint",
        "open a preset (listed with its description), any YAML file, a run folder or a checkpoint (type its path, "
        "or choose with `↑`/`↓`)", label="Open",
        id="file.open", priority=True,
        command=Command("File: open", "Open a preset, a YAML file or a run folder", "open")),
    Key("ctrl+l", "reload", "everywhere", "reload the file from disk", label="Reload", id="file.reload",
        show=False, command=Command("File: reload", "Read the file again from disk", "reload")),
    Key("ctrl+z", "undo", "everywhere", "undo / redo any edit (layers and settings)",
        "undo / redo any edit (layers, input shape, settings)", label="Undo", id="edit.undo", priority=True,
        command=Command("Edit: undo", "Undo the last edit", "undo")),
    Key("ctrl+y", "redo", "everywhere", "", label="Redo", id="edit.redo", show=False, priority=True,
        joins="edit.undo", command=Command("Edit: redo", "Redo", "redo")),
    Key("f2,1", "show_view('build')", "everywhere", "switch view", "Build, Setup, Train, Runs, Learn", label="Build",
        id="view.build", show=False, shown="`F2`…`F6`, `1`…`5`",
        command=Command("View: Build", "Layers, shapes and formulas", "show_view('build')")),
    Key("f3,2", "show_view('setup')", "everywhere", "", label="Setup", id="view.setup", show=False,
        joins="view.build",
        command=Command("View: Setup", "Data, loss, optimizer and training settings", "show_view('setup')")),
    Key("f4,3", "show_view('train')", "everywhere", "", label="Train view", id="view.train", show=False,
        joins="view.build", command=Command("View: Train", "Plots, log and results", "show_view('train')")),
    Key("f5,4", "show_view('runs')", "everywhere", "", label="Runs", id="view.runs", show=False,
        joins="view.build",
        command=Command("View: Runs", "Runs of this session; overlay curves", "show_view('runs')")),
    Key("f6,5", "show_view('learn')", "everywhere", "", label="Learn", id="view.learn", show=False,
        joins="view.build",
        command=Command("View: Learn", "Labs: activations, conv, pool, backprop, losses, optimizers",
                        "show_view('learn')")),
    Key("ctrl+t", "toggle_dark", "everywhere", "dark / light theme", label="Theme", id="view.theme", show=False,
        command=Command("Theme: dark / light", "Switch between the dark and light theme", "toggle_dark")),
    Key("ctrl+p", "", "everywhere", "command palette"),  # Textual's App.COMMAND_PALETTE_BINDING
    Key("question_mark,f1", "help", "everywhere", "this help", "help", label="Help", id="app.help",
        command=Command("Help", "Keys and views", "help")),
    Key("ctrl+q", "quit", "everywhere", "quit (asks first while training)",
        "quit (asks first while training, then stops the run cleanly; asks about unsaved changes)", label="Quit",
        id="app.quit", priority=True),
    # ---------------------------------------------------------------- Build (BuildView); the palette switches to it
    Key("a", "add_layer", "Build", "add a layer after the selected one (type to filter the list)",
        "add a layer after the selected one (a picker: type to filter, names that start with what you typed come "
        "first; `enter` adds)", label="Add layer",
        id="build.add",
        command=Command("Build: add layer", "Add a layer after the selected one", "build_action('add_layer')")),
    Key("i", "insert_layer", "Build", "insert a layer before the selected one", label="Insert before",
        id="build.insert", show=False,
        command=Command("Build: insert layer", "Insert a layer before the selected one",
                        "build_action('insert_layer')")),
    Key("n", "nest_layer", "Build", "add a layer inside the selected Residual block",
        "add a layer inside the selected `Residual` block", label="Add inside block", id="build.nest", show=False,
        command=Command("Build: add inside block", "Add a layer inside the selected Residual block",
                        "build_action('nest_layer')")),
    Key("d,delete", "delete_layer", "Build", "delete the selected layer", label="Delete", id="build.delete",
        command=Command("Build: delete layer", "Delete the selected layer", "build_action('delete_layer')")),
    Key("c", "duplicate_layer", "Build", "duplicate the selected layer", label="Duplicate", id="build.duplicate",
        show=False,
        command=Command("Build: duplicate layer", "Duplicate the selected layer", "build_action('duplicate_layer')")),
    Key("shift+up", "move_layer(-1)", "Build", "move the layer up / down", "move the selected layer up / down",
        label="Move up", id="build.move-up", show=False,
        command=Command("Build: move layer up", "Move the selected layer up", "build_action('move_layer(-1)')")),
    Key("shift+down", "move_layer(1)", "Build", "", label="Move down", id="build.move-down", show=False,
        joins="build.move-up",
        command=Command("Build: move layer down", "Move the selected layer down", "build_action('move_layer(1)')")),
    Key("r", "replace_activations", "Build", "replace every activation with another kind (one undo step)",
        "replace every activation with another kind (a picker; `Softmax`/`LogSoftmax` outputs stay; one undo step): "
        "ReLU ↔ Sigmoid LeNet in one key", label="Replace activations", id="build.replace-activations", show=False,
        command=Command("Build: replace every activation with…",
                        "Replace every activation layer with one kind (ReLU → Sigmoid, ...)",
                        "build_action('replace_activations')")),
    Key("f", "apply_fix", "Build", "apply the suggested fix for the error", "apply the suggested fix", label="Fix",
        id="build.fix",
        command=Command("Build: apply fix", "Apply the suggested fix for a layer error", "build_action('apply_fix')")),
    Key("e", "edit_selected", "Build", "edit the selected layer's arguments", label="Edit", id="build.edit",
        show=False, shown="`enter` / `e`"),  # enter: the layer list's own Activated message
    Key("escape", "focus_stack", "Build", "back to the layer list", "back to the list", label="Back to layers",
        id="build.back", show=False),
    Key("t", "try_lab", "Build", "try it: open the selected layer's lab with its arguments",
        "try it: open the lab of the selected layer with its arguments (`Conv2d` → conv, `MaxPool2d`/`AvgPool2d` → "
        "pool, an activation → activations or softmax)", label="Try it", id="build.try", show=False,
        command=Command("Build: try it in a lab", "Open the selected layer's lab with its arguments",
                        "build_action('try_lab')")),
    Key("tab", "", "Build", "next pane"),  # Textual's focus chain
    # ---------------------------------------------------------------- Train (TrainView)
    Key("z", "zoom", "Train", "zoom the focused pane (again to restore)", label="Zoom pane", id="train.zoom"),
    Key("c", "zoom_result", "Train", "zoom the test result: the whole confusion matrix (again to restore)",
        label="Zoom result", id="train.zoom-result"),
    Key("l", "toggle_log", "Train", "logarithmic loss axis",
        "logarithmic loss axis (losses that fall by orders of magnitude)", label="Log scale", id="train.log-scale"),
    Key("g", "cycle_grads", "Train",
        "gradients per layer: ‖g‖, largest g, update/weight, dead ReLUs (again: the next)",
        "the right-hand plot cycles accuracy → gradient norm per layer (log₁₀) → largest \\|g\\| → update/weight "
        "ratio (log₁₀, guide line at −3) → dead ReLU share → accuracy", label="Gradients", id="train.gradients",
        show=False),
    # ---------------------------------------------------------------- Runs (RunsView)
    Key("space", "toggle_overlay", "Runs", "tick / untick a run for the overlay", "tick a run for the overlay",
        label="Overlay", id="runs.overlay"),
    Key("enter", "show_run", "Runs", "show that run's curves, log and results in the Train view",
        "show a run in the Train view", label="Show", id="runs.show"),
    Key("o", "app.open", "Runs", "open a past run folder", "open a run folder", label="Open run folder",
        id="runs.open"),
    Key("r", "resume_run", "Runs", "resume a stopped run from its checkpoint", label="Resume", id="runs.resume",
        command=Command("Train: resume the shown run", "Continue a stopped run from its checkpoint", "resume_run")),
    Key("x", "clear_overlays", "Runs", "untick every run (no overlays)", label="Clear overlays", id="runs.clear",
        show=False),
    # ---------------------------------------------------------------- Learn (LearnView passes them to the lab shown)
    Key("up,down", "", "Learn", "choose a lab (in the list)"),  # the lab list's own keys
    Key("left", "step(-1)", "Learn", "back / on: the x cursor, the window, the stage, the step",
        "back / on: the x cursor (activations), the window (conv, pool), the stage (backprop), the step "
        "(optimizers)", label="Back", id="learn.back", show=False),
    Key("right", "step(1)", "Learn", "", label="On", id="learn.on", show=False, joins="learn.back"),
    Key("home", "step(-1000)", "Learn", "to the first / last (in the lab)", label="First", id="learn.first",
        show=False),
    Key("end", "step(1000)", "Learn", "", label="Last", id="learn.last", show=False, joins="learn.first"),
    Key("plus", "bump(1)", "Learn", "the lab's number up / down: T, stride, η or γ",
        "the lab's number up / down: the temperature T (softmax), the stride (conv, pool), η (backprop, "
        "optimizers), γ (losses)", label="Up", id="learn.up", show=False),
    Key("minus", "bump(-1)", "Learn", "", label="Down", id="learn.down", show=False, joins="learn.up"),
    Key("m", "mode", "Learn", "next choice: function, padding, max/avg, activation, surface",
        "the next choice: the function (activations), the padding narrow → same → wide (conv), max ↔ avg (pool), "
        "the activation sigmoid → relu → tanh (backprop), the surface (optimizers)", label="Mode", id="learn.mode",
        show=False),
    Key("o", "overlay", "Learn", "f and f′ overlaid / side by side (activations)", label="Overlay",
        id="learn.overlay", show=False),
    Key("l", "toggle_loss", "Learn", "the loss: MSE ↔ BCE (backprop)", label="Loss", id="learn.loss", show=False),
    Key("c", "autograd", "Learn", "check every derivative with torch autograd (backprop)",
        "check every derivative with torch autograd (backprop; runs in the background, torch loads the first "
        "time)", label="Check", id="learn.check", show=False),
    Key("u", "take_update", "Learn", "take the update: the next step starts from the new weights (backprop)",
        label="Update", id="learn.update", show=False),
    Key("n", "next_optimizer", "Learn", "the next optimizer's update rule (optimizers)", label="Next rule",
        id="learn.next", show=False),
    Key("b", "cycle_beta", "Learn", "momentum's β: 0.5 → 0.9 → 0.99 (optimizers)", label="β", id="learn.beta",
        show=False),
    Key("v", "variant", "Learn", "torch's rules / the textbook's / both (optimizers)", label="Variant",
        id="learn.variant", show=False),
    Key("shift+left", "move_start(-1,0)", "Learn", "move the start point (optimizers)", label="Start ←",
        id="learn.start-left", show=False),
    Key("shift+right", "move_start(1,0)", "Learn", "", label="Start →", id="learn.start-right", show=False,
        joins="learn.start-left"),
    Key("shift+up", "move_start(0,1)", "Learn", "", label="Start ↑", id="learn.start-up", show=False,
        joins="learn.start-left"),
    Key("shift+down", "move_start(0,-1)", "Learn", "", label="Start ↓", id="learn.start-down", show=False,
        joins="learn.start-left"),
    Key("escape", "focus_list", "Learn", "back to the lab list (from an input)", label="Back to labs",
        id="learn.list", show=False),
)


def bindings(*where: str) -> list:
    """Textual bindings of the keys that work ``where`` (the app: APP_SCOPES; a view: its name), in order."""
    from textual.binding import Binding

    return [Binding(k.keys, k.action, k.label, show=k.show, priority=k.priority, id=k.id)
            for k in KEYS if k.where in where and k.action]


_NAMES = {"question_mark": "?", "escape": "esc", "up": "↑", "down": "↓", "left": "←", "right": "→", "plus": "+",
          "minus": "-"}


def key_name(key: str) -> str:
    """One key as people write it: ``shift+up`` → ``shift+↑``, ``f1`` → ``F1``, ``question_mark`` → ``?``."""
    *mods, last = key.split("+")
    last = last.upper() if re.fullmatch(r"f\d+", last) else _NAMES.get(last, last)
    return "+".join([*mods, last])


def _alternatives(k: Key) -> list[str]:
    return [key_name(name) for name in k.keys.split(",")]


def commands() -> tuple[tuple[str, str, str], ...]:
    """The command palette's (title, help, action), the key in brackets: ``(ctrl+r)``, ``(a in Build)``."""
    out = []
    for k in KEYS:
        if k.command is None:
            continue
        where = f" in {k.where}" if k.where in VIEW_SCOPES else ""
        out.append((k.command.title, f"{k.command.help} ({' or '.join(_alternatives(k))}{where})", k.command.action))
    return tuple(out)


@dataclass(frozen=True)
class Row:
    """One row of a key table: the keys (markdown), where they work, the help screen's and the README's words."""

    keys: str
    where: str
    help: str
    doc: str


def rows() -> list[Row]:
    """The key table rows, in KEYS order: a key that ``joins`` another is shown in that key's row."""
    joined: dict[str, list[Key]] = {}
    for k in KEYS:
        if k.joins:
            joined.setdefault(k.joins, []).append(k)
    out = []
    for k in KEYS:
        if k.joins:
            continue
        names = [name for member in (k, *joined.get(k.id, ())) for name in _alternatives(member)]
        cell = k.shown or " / ".join(f"`{name}`" for name in names)
        out.append(Row(cell, k.where, k.help, k.doc or k.help))
    return out


def help_table(*where: str) -> str:
    """A help-screen table of the keys that work ``where``; view keys say which view (``(Runs) …``)."""
    lines = ["| key | action |", "|---|---|"]
    for r in rows():
        if r.where in where:
            prefix = f"({r.where}) " if r.where in VIEW_SCOPES and len(where) > 1 else ""
            lines.append(f"| {r.keys} | {prefix}{r.help} |")
    return "\n".join(lines)


def readme_keys_markdown() -> str:
    """The README's key table (a test keeps the README in sync)."""
    lines = ["| key | where | action |", "|---|---|---|"]
    lines += [f"| {r.keys} | {r.where} | {r.doc} |" for r in rows()]
    return "\n".join(lines)
