"""Every key of the app, declared once in :data:`KEYS`: the bindings of the app and of its views, the command
palette's entries, the help screen's key tables and the README's key table are all made from it (a test keeps
the README's copy current: ``python -m tui_dl.cli.report`` prints it).

Importing this module imports no Textual (the README generator reads it); :func:`bindings` imports Textual's
``Binding`` when a class of the app is defined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from tui_dl.core.i18n import N_, gettext

#: Where a key works: the app's own keys, then the view whose class binds it. (English: the table's texts are
#: English sources; the help screen and the command palette translate them when shown, the footer its labels.)
APP_SCOPES = (N_("everywhere"), N_("while training"))
VIEW_SCOPES = (N_("Build"), N_("Train"), N_("Test result"), N_("Runs"), N_("Learn"), N_("Gallery"), N_("Features"),
               N_("Attack"))
#: The screens that look inside a trained model (tui_dl/app/screens/: gallery, feature maps, attack).
INSIGHT_SCOPES = ("Gallery", "Features", "Attack")


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
    Key("ctrl+r", "toggle_training", "everywhere", N_("start training / stop it (a checkpoint is saved)"),
        "start training / stop it (the trainer finishes the step and saves a checkpoint)",
        label=N_("Train"), id="train.start", priority=True,
        command=Command(N_("Train: start / stop"), N_("Start training the current experiment, or stop it"),
                        "toggle_training")),
    Key("p", "pause_training", "while training", N_("pause / resume training"),
        "pause / resume (the worker stops pulling the next step)", label=N_("Pause"), id="train.pause",
        command=Command(N_("Train: pause / resume"), N_("Pause or resume the running training"), "pause_training")),
    Key("ctrl+s", "save", "everywhere", N_("save the experiment as YAML"),
        "save the experiment as YAML (asks for a path; defaults to the opened file or `<name>.yaml`; confirms "
        "before overwriting another file; a shipped preset is never overwritten: its copy defaults to "
        "`./<preset>.yaml`)", label=N_("Save"), id="file.save", priority=True,
        command=Command(N_("File: save"), N_("Save the experiment as YAML"), "save")),
    Key("ctrl+o", "open", "everywhere", N_("open a preset, a YAML file, a past run folder or a checkpoint"),
        "open a preset (listed with its description), any YAML file, a run folder or a checkpoint (type its path, "
        "or choose with `↑`/`↓`)", label=N_("Open"),
        id="file.open", priority=True,
        command=Command(N_("File: open"), N_("Open a preset, a YAML file or a run folder"), "open")),
    Key("ctrl+l", "reload", "everywhere", N_("reload the file from disk"), label=N_("Reload"), id="file.reload",
        show=False, command=Command(N_("File: reload"), N_("Read the file again from disk"), "reload")),
    Key("ctrl+z", "undo", "everywhere", N_("undo / redo any edit (layers and settings)"),
        "undo / redo any edit (layers, input shape, settings)", label=N_("Undo"), id="edit.undo", priority=True,
        command=Command(N_("Edit: undo"), N_("Undo the last edit"), "undo")),
    Key("ctrl+y", "redo", "everywhere", "", label=N_("Redo"), id="edit.redo", show=False, priority=True,
        joins="edit.undo", command=Command(N_("Edit: redo"), N_("Redo"), "redo")),
    Key("f2,1", "show_view('build')", "everywhere", N_("switch view"), "Build, Setup, Train, Runs, Learn", label=N_("Build"),
        id="view.build", show=False, shown="`F2`…`F6`, `1`…`5`",
        command=Command(N_("View: Build"), N_("Layers, shapes and formulas"), "show_view('build')")),
    Key("f3,2", "show_view('setup')", "everywhere", "", label=N_("Setup"), id="view.setup", show=False,
        joins="view.build",
        command=Command(N_("View: Setup"), N_("Data, loss, optimizer and training settings"), "show_view('setup')")),
    Key("f4,3", "show_view('train')", "everywhere", "", label=N_("Train view"), id="view.train", show=False,
        joins="view.build", command=Command(N_("View: Train"), N_("Plots, log and results"), "show_view('train')")),
    Key("f5,4", "show_view('runs')", "everywhere", "", label=N_("Runs"), id="view.runs", show=False,
        joins="view.build",
        command=Command(N_("View: Runs"), N_("Runs of this session; overlay curves"), "show_view('runs')")),
    Key("f6,5", "show_view('learn')", "everywhere", "", label=N_("Learn"), id="view.learn", show=False,
        joins="view.build",
        command=Command(N_("View: Learn"), N_("Labs: activations, conv, pool, backprop, losses, optimizers"),
                        "show_view('learn')")),
    Key("f7", "compare", "everywhere", N_("compare: run the experiment once per optimizer, activation, lr or batch size"),
        "compare: run the experiment once per optimizer, activation, learning rate or batch size (a dialog; the runs "
        "go one after another from the same initial weights and their curves are overlaid, each labelled with its "
        "value)", label=N_("Compare"), id="train.compare", show=False,
        command=Command(N_("Train: compare (sweep)"), N_("Run the experiment once per optimizer, activation, lr or batch "
                        "size and overlay the curves"), "compare")),
    Key("ctrl+t", "toggle_dark", "everywhere", N_("dark / light theme"), label=N_("Theme"), id="view.theme", show=False,
        command=Command(N_("Theme: dark / light"), N_("Switch between the dark and light theme"), "toggle_dark")),
    Key("ctrl+p", "", "everywhere", N_("command palette")),  # Textual's App.COMMAND_PALETTE_BINDING
    Key("question_mark,f1", "help", "everywhere", N_("this help"), "help", label=N_("Help"), id="app.help",
        command=Command(N_("Help"), N_("Keys and views"), "help")),
    Key("f8", "toggle_language", "everywhere", N_("language: 中文 / English (kept for the next start)"),
        label=N_("Language"), id="app.language", show=False, shown="`F8`",
        command=Command(N_("Language: 中文"), N_("Speak Chinese (kept for the next start)"), "set_language('zh_CN')")),
    Key("f8", "", "everywhere", "", id="app.language-en", joins="app.language",
        command=Command(N_("Language: English"), N_("Speak English (kept for the next start)"), "set_language('en')")),
    Key("ctrl+q", "quit", "everywhere", N_("quit (asks first while training)"),
        "quit (asks first while training, then stops the run cleanly; asks about unsaved changes)", label=N_("Quit"),
        id="app.quit", priority=True),
    # ---------------------------------------------------------------- Build (BuildView); the palette switches to it
    Key("a", "add_layer", "Build", N_("add a layer after the selected one (type to filter the list)"),
        "add a layer after the selected one (a picker: type to filter, names that start with what you typed come "
        "first; `enter` adds)", label=N_("Add layer"),
        id="build.add",
        command=Command(N_("Build: add layer"), N_("Add a layer after the selected one"), "build_action('add_layer')")),
    Key("i", "insert_layer", "Build", N_("insert a layer before the selected one"), label=N_("Insert before"),
        id="build.insert", show=False,
        command=Command(N_("Build: insert layer"), N_("Insert a layer before the selected one"),
                        "build_action('insert_layer')")),
    Key("n", "nest_layer", "Build", N_("add a layer inside the selected Residual block"),
        "add a layer inside the selected `Residual` block", label=N_("Add inside block"), id="build.nest", show=False,
        command=Command(N_("Build: add inside block"), N_("Add a layer inside the selected Residual block"),
                        "build_action('nest_layer')")),
    Key("d,delete", "delete_layer", "Build", N_("delete the selected layer"), label=N_("Delete"), id="build.delete",
        command=Command(N_("Build: delete layer"), N_("Delete the selected layer"), "build_action('delete_layer')")),
    Key("c", "duplicate_layer", "Build", N_("duplicate the selected layer"), label=N_("Duplicate"), id="build.duplicate",
        show=False,
        command=Command(N_("Build: duplicate layer"), N_("Duplicate the selected layer"), "build_action('duplicate_layer')")),
    Key("shift+up", "move_layer(-1)", "Build", N_("move the layer up / down"), "move the selected layer up / down",
        label=N_("Move up"), id="build.move-up", show=False,
        command=Command(N_("Build: move layer up"), N_("Move the selected layer up"), "build_action('move_layer(-1)')")),
    Key("shift+down", "move_layer(1)", "Build", "", label=N_("Move down"), id="build.move-down", show=False,
        joins="build.move-up",
        command=Command(N_("Build: move layer down"), N_("Move the selected layer down"), "build_action('move_layer(1)')")),
    Key("r", "replace_activations", "Build", N_("replace every activation with another kind (one undo step)"),
        "replace every activation with another kind (a picker; `Softmax`/`LogSoftmax` outputs stay; one undo step): "
        "ReLU ↔ Sigmoid LeNet in one key", label=N_("Replace activations"), id="build.replace-activations", show=False,
        command=Command(N_("Build: replace every activation with…"),
                        N_("Replace every activation layer with one kind (ReLU → Sigmoid, ...)"),
                        "build_action('replace_activations')")),
    Key("f", "apply_fix", "Build", N_("apply the suggested fix for the error"), "apply the suggested fix", label=N_("Fix"),
        id="build.fix",
        command=Command(N_("Build: apply fix"), N_("Apply the suggested fix for a layer error"), "build_action('apply_fix')")),
    Key("e", "edit_selected", "Build", N_("edit the selected layer's arguments"), label=N_("Edit"), id="build.edit",
        show=False, shown="`enter` / `e`"),  # enter: the layer list's own Activated message
    Key("escape", "focus_stack", "Build", N_("back to the layer list"), "back to the list", label=N_("Back to layers"),
        id="build.back", show=False),
    Key("t", "try_lab", "Build", N_("try it: open the selected layer's lab with its arguments"),
        "try it: open the lab of the selected layer with its arguments (`Conv2d` → conv, `MaxPool2d`/`AvgPool2d` → "
        "pool, an activation → activations or softmax)", label=N_("Try it"), id="build.try", show=False,
        command=Command(N_("Build: try it in a lab"), N_("Open the selected layer's lab with its arguments"),
                        "build_action('try_lab')")),
    Key("tab", "", "Build", N_("next pane")),  # Textual's focus chain
    # ---------------------------------------------------------------- Train (TrainView)
    Key("z", "zoom", "Train", N_("zoom the focused pane (again to restore)"), label=N_("Zoom pane"), id="train.zoom"),
    Key("c", "zoom_result", "Train", N_("zoom the test result: the whole confusion matrix (again to restore)"),
        label=N_("Zoom result"), id="train.zoom-result"),
    Key("l", "toggle_log", "Train", N_("logarithmic loss axis"),
        "logarithmic loss axis (losses that fall by orders of magnitude)", label=N_("Log scale"), id="train.log-scale"),
    Key("left_square_bracket", "cursor(-1)", "Train", N_("the epoch cursor back / on: each plotted run's exact values"),
        "the epoch cursor back / on (the first press puts it on the last epoch): under the plots, each plotted run's "
        "exact val accuracy, val loss and train loss at that epoch", label=N_("Cursor ←"), id="train.cursor-back",
        show=False),
    Key("right_square_bracket", "cursor(1)", "Train", "", label=N_("Cursor →"), id="train.cursor-on", show=False,
        joins="train.cursor-back"),
    Key("g", "app.insight('gallery')", "Train", N_("sample gallery: the test images with the model's answers"),
        "sample gallery of the shown run's test images with true label, prediction and confidence (once the run "
        "has ended)", label=N_("Gallery"), id="train.gallery",
        command=Command(N_("Inside: sample gallery"), N_("The shown run's test images with its answers; filter by class "
                        "or mistakes"), "insight('gallery')")),
    Key("w", "app.insight('features')", "Train", N_("what the network sees: feature maps and filters"),
        "what the network sees: each conv layer's feature maps for a test image, the first layer's filters, the "
        "class probabilities", label=N_("Feature maps"), id="train.features",
        command=Command(N_("Inside: what the network sees"), N_("Feature maps, filters and probabilities for a test "
                        "image"), "insight('features')")),
    Key("a", "app.insight('attack')", "Train", N_("fool the model: FGSM / PGD, accuracy against ε"),
        "fool the model: FGSM or PGD on one test image with ε on the arrow keys, and accuracy against ε over the "
        "test set", label=N_("Attack"), id="train.attack",
        command=Command(N_("Inside: adversarial attack (FGSM)"), N_("Fool the shown run's model; accuracy against ε"),
                        "insight('attack')")),
    # ---------------------------------------------------------------- the confusion matrix (ResultBox, Train view)
    Key("left", "move_cell(-1,0)", "Test result", N_("choose a cell of the confusion matrix"),
        "choose a cell of the confusion matrix (the result pane focused; `c` zooms it first when it does not fit)",
        label=N_("Cell ←"), id="result.left", show=False),
    Key("right", "move_cell(1,0)", "Test result", "", label=N_("Cell →"), id="result.right", show=False,
        joins="result.left"),
    Key("up", "move_cell(0,-1)", "Test result", "", label=N_("Cell ↑"), id="result.up", show=False,
        joins="result.left"),
    Key("down", "move_cell(0,1)", "Test result", "", label=N_("Cell ↓"), id="result.down", show=False,
        joins="result.left"),
    Key("enter", "open_cell", "Test result", N_("the gallery of that cell's images (true = row, predicted = column)"),
        "open the gallery on that cell's images (true = row, predicted = column); a click on a cell does too",
        label=N_("Gallery of cell"), id="result.open"),
    Key("d", "cycle_grads", "Train",
        N_("gradients per layer: ‖g‖, largest g, update/weight, dead ReLUs (again: the next)"),
        "the right-hand plot cycles accuracy → gradient norm per layer (log₁₀) → largest \\|g\\| → update/weight "
        "ratio (log₁₀, guide line at −3) → dead ReLU share → accuracy", label=N_("Gradients"), id="train.gradients",
        show=False),
    # ---------------------------------------------------------------- Runs (RunsView)
    Key("space", "toggle_overlay", "Runs", N_("tick / untick a run for the overlay"), "tick a run for the overlay",
        label=N_("Overlay"), id="runs.overlay"),
    Key("enter", "show_run", "Runs", N_("show that run's curves, log and results in the Train view"),
        "show a run in the Train view", label=N_("Show"), id="runs.show"),
    Key("o", "app.open", "Runs", N_("open a past run folder"), "open a run folder", label=N_("Open run folder"),
        id="runs.open"),
    Key("r", "resume_run", "Runs", N_("resume a stopped run from its checkpoint"), label=N_("Resume"), id="runs.resume",
        command=Command(N_("Train: resume the shown run"), N_("Continue a stopped run from its checkpoint"), "resume_run")),
    Key("x", "clear_overlays", "Runs", N_("untick every run (no overlays)"), label=N_("Clear overlays"), id="runs.clear",
        show=False),
    # ---------------------------------------------------------------- Learn (LearnView passes them to the lab shown)
    Key("up,down", "", "Learn", N_("choose a lab (in the list)")),  # the lab list's own keys
    Key("left", "step(-1)", "Learn", N_("back / on: the x cursor, the window, the stage, the step"),
        "back / on: the x cursor (activations), the window (conv, pool), the stage (backprop), the step "
        "(optimizers)", label=N_("Back"), id="learn.back", show=False),
    Key("right", "step(1)", "Learn", "", label=N_("On"), id="learn.on", show=False, joins="learn.back"),
    Key("home", "step(-1000)", "Learn", N_("to the first / last (in the lab)"), label=N_("First"), id="learn.first",
        show=False),
    Key("end", "step(1000)", "Learn", "", label=N_("Last"), id="learn.last", show=False, joins="learn.first"),
    Key("plus", "bump(1)", "Learn", N_("the lab's number up / down: T, stride, η or γ"),
        "the lab's number up / down: the temperature T (softmax), the stride (conv, pool), η (backprop, "
        "optimizers), γ (losses)", label=N_("Up"), id="learn.up", show=False),
    Key("minus", "bump(-1)", "Learn", "", label=N_("Down"), id="learn.down", show=False, joins="learn.up"),
    Key("m", "mode", "Learn", N_("next choice: function, padding, max/avg, activation, surface"),
        "the next choice: the function (activations), the padding narrow → same → wide (conv), max ↔ avg (pool), "
        "the activation sigmoid → relu → tanh (backprop), the surface (optimizers)", label=N_("Mode"), id="learn.mode",
        show=False),
    Key("o", "overlay", "Learn", N_("f and f′ overlaid / side by side (activations)"), label=N_("Overlay"),
        id="learn.overlay", show=False),
    Key("l", "toggle_loss", "Learn", N_("the loss: MSE ↔ BCE (backprop)"), label=N_("Loss"), id="learn.loss", show=False),
    Key("c", "autograd", "Learn", N_("check every derivative with torch autograd (backprop)"),
        "check every derivative with torch autograd (backprop; runs in the background, torch loads the first "
        "time)", label=N_("Check"), id="learn.check", show=False),
    Key("u", "take_update", "Learn", N_("take the update: the next step starts from the new weights (backprop)"),
        label=N_("Update"), id="learn.update", show=False),
    Key("n", "next_optimizer", "Learn", N_("the next optimizer's update rule (optimizers)"), label=N_("Next rule"),
        id="learn.next", show=False),
    Key("b", "cycle_beta", "Learn", N_("momentum's β: 0.5 → 0.9 → 0.99 (optimizers)"), label=N_("β"), id="learn.beta",
        show=False),
    Key("v", "variant", "Learn", N_("torch's rules / the textbook's / both (optimizers)"), label=N_("Variant"),
        id="learn.variant", show=False),
    Key("shift+left", "move_start(-1,0)", "Learn", N_("move the start point (optimizers)"), label=N_("Start ←"),
        id="learn.start-left", show=False),
    Key("shift+right", "move_start(1,0)", "Learn", "", label=N_("Start →"), id="learn.start-right", show=False,
        joins="learn.start-left"),
    Key("shift+up", "move_start(0,1)", "Learn", "", label=N_("Start ↑"), id="learn.start-up", show=False,
        joins="learn.start-left"),
    Key("shift+down", "move_start(0,-1)", "Learn", "", label=N_("Start ↓"), id="learn.start-down", show=False,
        joins="learn.start-left"),
    Key("escape", "focus_list", "Learn", N_("back to the lab list (from an input)"), label=N_("Back to labs"),
        id="learn.list", show=False),
    # ---------------------------------------------------------------- the gallery (GalleryScreen)
    Key("left", "move(-1,0)", "Gallery", N_("choose an image"), label=N_("←"), id="gallery.left", show=False),
    Key("right", "move(1,0)", "Gallery", "", label=N_("→"), id="gallery.right", show=False, joins="gallery.left"),
    Key("up", "move(0,-1)", "Gallery", "", label=N_("↑"), id="gallery.up", show=False, joins="gallery.left"),
    Key("down", "move(0,1)", "Gallery", "", label=N_("↓"), id="gallery.down", show=False, joins="gallery.left"),
    Key("f", "next_filter", "Gallery", N_("filter: all → by true class → misclassified → most confident mistakes"),
        label=N_("Filter"), id="gallery.filter"),
    Key("c", "next_class(1)", "Gallery", N_("the true class shown: next / previous"), label=N_("Class"),
        id="gallery.class"),
    Key("x", "next_class(-1)", "Gallery", "", label=N_("Class back"), id="gallery.class-back", show=False,
        joins="gallery.class"),
    Key("s", "toggle_size", "Gallery", N_("small (14×7 cells) / large (28×14) pictures"), label=N_("Size"),
        id="gallery.size"),
    Key("pagedown", "page(1)", "Gallery", N_("next / previous page of images"), label=N_("Next page"), id="gallery.next",
        show=False),
    Key("pageup", "page(-1)", "Gallery", "", label=N_("Previous page"), id="gallery.previous", show=False,
        joins="gallery.next"),
    Key("enter", "see", "Gallery", N_("what the network sees for the chosen image (a click, twice)"), label=N_("Sees"),
        id="gallery.see"),
    Key("a", "attack", "Gallery", N_("attack the chosen image (FGSM screen)"), label=N_("Attack"), id="gallery.attack"),
    Key("escape", "back", "Gallery", N_("back"), label=N_("Back"), id="gallery.back"),
    # ---------------------------------------------------------------- what the network sees (FeaturesScreen)
    Key("n", "step(1)", "Features", N_("next / previous image (in the gallery's order)"), label=N_("Next"),
        id="features.next"),
    Key("p", "step(-1)", "Features", "", label=N_("Previous"), id="features.previous", show=False,
        joins="features.next"),
    Key("r", "toggle_range", "Features", N_("grey levels: each map its own range / one range per layer"),
        label=N_("Range"), id="features.range"),
    Key("a", "attack", "Features", N_("attack this image (FGSM screen)"), label=N_("Attack"), id="features.attack"),
    Key("escape", "back", "Features", N_("back"), label=N_("Back"), id="features.back"),
    # ---------------------------------------------------------------- the attack (AttackScreen)
    Key("right", "eps(1)", "Attack", N_("ε up / down by 0.01 (pixel units, 0 to 0.3)"), label=N_("ε+"), id="attack.up",
        show=False),
    Key("left", "eps(-1)", "Attack", "", label=N_("ε-"), id="attack.down", show=False, joins="attack.up"),
    Key("shift+right", "eps(5)", "Attack", N_("ε up / down by 0.05"), label=N_("ε+.05"), id="attack.up5", show=False),
    Key("shift+left", "eps(-5)", "Attack", "", label=N_("ε-.05"), id="attack.down5", show=False, joins="attack.up5"),
    Key("m", "toggle_method", "Attack", N_("FGSM (one step) / PGD (iterative, projected)"), label=N_("Method"),
        id="attack.method"),
    Key("s", "cycle_steps", "Attack", N_("PGD steps: 5 → 10 → 20 → 40"), label=N_("Steps"), id="attack.steps",
        show=False),
    Key("z", "cycle_step_size", "Attack", N_("PGD step size: 2.5·ε/steps → 0.005 → 0.01 → 0.02"), label=N_("Step size"),
        id="attack.step-size", show=False),
    Key("t", "cycle_target", "Attack", N_("targeted: make it say class 0, 1, … (or untargeted)"), label=N_("Target"),
        id="attack.target"),
    Key("k", "toggle_mark", "Attack", N_("mark the pixels the clamp to [0, 1] cut (amber) / not"),
        label=N_("Mark cut"), id="attack.mark", show=False),
    Key("n", "step(1)", "Attack", N_("next / previous image"), label=N_("Next image"), id="attack.next", show=False),
    Key("p", "step(-1)", "Attack", "", label=N_("Previous image"), id="attack.previous", show=False,
        joins="attack.next"),
    Key("r", "run_curve", "Attack", N_("accuracy against ε over the whole test set (again: cancel)"),
        label=N_("Accuracy vs ε"), id="attack.curve"),
    Key("escape", "back", "Attack", N_("cancel the sweep, else back"), label=N_("Back"), id="attack.back"),
)


def bindings(*where: str) -> list:
    """Textual bindings of the keys that work ``where`` (the app: APP_SCOPES; a view: its name), in order."""
    from textual.binding import Binding

    return [Binding(k.keys, k.action, k.label, show=k.show, priority=k.priority, id=k.id)
            for k in KEYS if k.where in where and k.action]


_NAMES = {"question_mark": "?", "escape": "esc", "left_square_bracket": "[", "right_square_bracket": "]", "up": "↑",
          "down": "↓", "left": "←", "right": "→", "plus": "+", "minus": "-", "pagedown": "pgdn", "pageup": "pgup"}


def key_name(key: str) -> str:
    """One key as people write it: ``shift+up`` → ``shift+↑``, ``f1`` → ``F1``, ``question_mark`` → ``?``."""
    *mods, last = key.split("+")
    last = last.upper() if re.fullmatch(r"f\d+", last) else _NAMES.get(last, last)
    return "+".join([*mods, last])


def _alternatives(k: Key) -> list[str]:
    return [key_name(name) for name in k.keys.split(",")]


def _same(text: str) -> str:
    return text


def commands(translate: bool = False) -> tuple[tuple[str, str, str], ...]:
    """The command palette's (title, help, action), the key in brackets: ``(ctrl+r)``, ``(a in Build)``; in the
    language spoken now where ``translate`` (the palette), else the English sources."""
    tr: Callable[[str], str] = gettext if translate else _same
    out = []
    for k in KEYS:
        if k.command is None:
            continue
        # TRANSLATORS: between two keys of one command: "ctrl+z or ctrl+y"
        keys = tr(N_(" or ")).join(_alternatives(k))
        if k.where in VIEW_SCOPES:
            # TRANSLATORS: a command's help, then its key and the view where the key works: "… (a in Build)"
            text = tr(N_("{help} ({keys} in {view})")).format(help=tr(k.command.help), keys=keys, view=tr(k.where))
        else:
            text = f"{tr(k.command.help)} ({keys})"
        out.append((tr(k.command.title), text, k.command.action))
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


def help_table(*where: str, translate: bool = False) -> str:
    """A help-screen table of the keys that work ``where``; view keys say which view (``(Runs) …``). In the
    language spoken now where ``translate`` (the help screen), else English."""
    tr: Callable[[str], str] = gettext if translate else _same
    # TRANSLATORS: the two column headings of the help screen's key tables (markdown: keep the bars)
    lines = [tr(N_("| key | action |")), "|---|---|"]
    for r in rows():
        if r.where in where:
            prefix = f"({tr(r.where)}) " if r.where in VIEW_SCOPES and len(where) > 1 else ""
            lines.append(f"| {r.keys} | {prefix}{tr(r.help)} |")
    return "\n".join(lines)


def readme_keys_markdown() -> str:
    """The README's key table (a test keeps the README in sync)."""
    lines = ["| key | where | action |", "|---|---|---|"]
    lines += [f"| {r.keys} | {r.where} | {r.doc} |" for r in rows()]
    return "\n".join(lines)
