"""Find user-facing English in ``tui_dl/`` that is not marked for translation (issue 20).

A string literal (or f-string) is *user-facing* when it is prose (two or more letters after its ``{fields}`` and
``[markup]`` are taken out, and not a code name such as ``Conv2d``, ``train.lr`` or ``#log``) and it is
passed, directly or inside a tuple, list, dict, ``x if c else y``, ``a + b`` or ``"...".join(...)``, to:

- ``print``, ``notify``, ``write``, ``write_line``, ``update``, ``add_column``, ``add_row``, ``add_option``,
  ``add_argument`` (``help=``), ``ArgumentParser``/``add_parser``/``add_argument_group`` (``help``,
  ``description``, ``epilog``, ``title``);
- an exception or message class (a name ending in Error, Exception, Problem, Warning; or raised);
- a widget or rich/textual text class (Static, Label, Button, Input, TabPane, Text, Content, Option, ...;
  and the app's own widget classes), the key table's ``Key``/``Command``;
- the attributes ``border_title``, ``border_subtitle``, ``tooltip``, ``title``, ``sub_title``, ``placeholder``.

Marked means inside ``_()``, ``ngettext()``, ``pgettext()`` or ``N_()``. What may stay English is listed in
:data:`ALLOWED` (with the reason). ``python -m tests.i18n_scan [PATH ...]`` prints what is left, file:line.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tui_dl"

MARKERS = {"_", "N_", "ngettext", "pgettext", "gettext", "plot_text"}
OUTPUT_CALLS = {"print", "notify", "write", "write_line", "update", "add_column", "add_row", "add_option",
                "add_argument", "ArgumentParser", "add_parser", "add_argument_group", "add_subparsers",
                "set_title", "log_line", "say", "warn", "error", "exit", "fail", "push_screen_wait"}
KEYWORD_ONLY = {"add_argument": {"help"}, "add_parser": {"help", "description", "epilog"},
                "ArgumentParser": {"description", "epilog"}, "add_argument_group": {"title", "description"},
                "add_subparsers": {"title", "description", "help"}}
TEXT_CLASSES = {"Static", "Label", "Button", "Input", "TabPane", "Tab", "Text", "Content", "Option", "ListItem",
                "Markdown", "Checkbox", "RadioButton", "Collapsible", "Rule", "Digits", "Link", "Tooltip",
                "Panel", "Key", "Command", "Binding", "SystemCommand", "Hit", "DiscoveryHit", "Placeholder",
                "ProgressBar", "Select", "SelectionList", "Selection", "TextArea", "Header", "Footer"}
TEXT_ATTRIBUTES = {"border_title", "border_subtitle", "tooltip", "title", "sub_title", "placeholder",
                   "TITLE", "SUB_TITLE", "label", "description"}
MESSAGE_SUFFIXES = ("Error", "Exception", "Problem", "Warning")
MESSAGE_CLASSES = {"RankLost", "DamagedCheckpoint", "PathProblem", "SystemExit"}

#: Words that are code, not English: they stay as they are in every language.
CODE_WORDS = {
    "tui-dl", "tui_dl", "yaml", "YAML", "JSON", "json", "jsonl", "CSV", "csv", "ONNX", "onnx", "CPU", "GPU", "CUDA",
    "cuda", "cpu", "mps", "MPS", "NCCL", "gloo", "DDP", "bf16", "fp16", "fp32", "tf32", "torch", "PyTorch",
    "TensorBoard", "tensorboard", "MNIST", "CIFAR", "LeNet", "LeNet-5", "FGSM", "PGD", "ReLU", "GELU", "SiLU",
    "Tanh", "Sigmoid", "Softmax", "Adam", "AdamW", "SGD", "RMSProp", "RMSprop", "AdaGrad", "Adagrad", "img/s",
    "OK", "ok", "ms", "MiB", "GiB", "KiB", "id", "URL", "UTF-8", "IDX", "NaN", "nan", "inf", "stdout", "stderr",
    "ctrl", "esc", "enter", "tab", "shift", "pid", "PID", "argmax", "logits", "softmax", "N/A", "n/a",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


_FIELD = re.compile(r"\{[^{}]*\}")
_MARKUP = re.compile(r"\[/?[a-z@$#][^\]]*\]")
_CODE = re.compile(r"^[\w.\-/:#@=<>*%+,$~()\[\]]*$")


def literal_text(node: ast.AST) -> str | None:
    """The text of a str constant, or an f-string's literal parts joined by ``{}``; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    return None


def is_prose(text: str, code_words: set[str]) -> bool:
    """Whether ``text`` holds English a reader reads (as opposed to code names, numbers and punctuation)."""
    bare = _MARKUP.sub(" ", _FIELD.sub(" ", text))
    words = [w for w in re.split(r"\s+", bare.strip()) if w]
    for word in words:
        core = word.strip(".,;:!?()'\"`«»“”‘’—–-…·|/[]<>*=+%")
        if not re.search(r"[A-Za-z]{2,}", core):
            continue
        if core in code_words or core.lower() in code_words:
            continue
        if len(words) == 1 and _CODE.match(core) and re.search(r"[_.\d#/:=]|[a-z][A-Z]", core):
            continue  # one code-shaped token: train.lr, #log, Conv2d, cuda:0
        if len(words) == 1 and (core.isupper() or core.islower()) and "-" in core:
            continue  # key names and options: ctrl+s, --batch, data-dir
        return True
    return False


def _callee(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _texts(node: ast.AST):
    """The string literals ``node`` passes on as text (through tuples, lists, dicts, conditionals, + and join)."""
    text = literal_text(node)
    if text is not None:
        yield node, text
        return
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for e in node.elts:
            yield from _texts(e)
    elif isinstance(node, ast.Dict):
        for v in node.values:
            yield from _texts(v)
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body)
        yield from _texts(node.orelse)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        yield from _texts(node.left)
        if isinstance(node.op, ast.Add):
            yield from _texts(node.right)
    elif isinstance(node, ast.Call):
        name = _callee(node)
        if name in MARKERS:
            return
        if name in ("join", "format") and isinstance(node.func, ast.Attribute):
            yield from _texts(node.func.value)
            for a in node.args:
                yield from _texts(a)
        elif name in ("str", "Text", "Content", "from_markup", "assemble"):
            for a in node.args:
                yield from _texts(a)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, widget_classes: set[str], code_words: set[str]) -> None:
        self.path, self.widgets, self.code_words = path, widget_classes, code_words
        self.findings: list[Finding] = []
        self._raising = 0

    def _check(self, node: ast.AST) -> None:
        for literal, text in _texts(node):
            if is_prose(text, self.code_words):
                self.findings.append(Finding(self.path, literal.lineno, text))

    def _shows_text(self, name: str) -> bool:
        return (name in OUTPUT_CALLS or name in TEXT_CLASSES or name in self.widgets
                or name.endswith(MESSAGE_SUFFIXES) or name in MESSAGE_CLASSES)

    def visit_Call(self, node: ast.Call) -> None:
        name = _callee(node)
        if name not in MARKERS and (self._shows_text(name) or self._raising):
            only = KEYWORD_ONLY.get(name)
            if only is None:
                # Binding(keys, action, text); tui_dl.app.keys.Key(keys, action, where, help, doc): its
                # where is a scope name (N_()-marked once in APP_SCOPES/VIEW_SCOPES), its doc the README's
                # English; Command(title, help, action)
                args = (node.args[3:4] if name == "Key" else node.args[2:] if name == "Binding"
                        else node.args[:2] if name == "Command" else node.args)
                for a in args:
                    self._check(a)
            for k in node.keywords:
                if only is None or k.arg in only:
                    if k.arg not in ("id", "classes", "name", "key", "action", "variant", "group", "dest",
                                     "metavar", "choices", "default", "key_display", "keys", "where", "joins",
                                     "shown", "doc", "markup", "style", "type", "file", "end", "sep", "severity",
                                     "overflow", "justify", "no_wrap", "cursor_type", "show",
                                     "field"):  # field: the input a LabError/FieldError names
                        self._check(k.value)
        raising, self._raising = self._raising, 0
        self.generic_visit(node)
        self._raising = raising

    def visit_Raise(self, node: ast.Raise) -> None:
        self._raising += 1
        if node.exc is not None:
            self.visit(node.exc)
        self._raising -= 1

    def visit_Assign(self, node: ast.Assign) -> None:
        for t in node.targets:
            if isinstance(t, ast.Attribute) and t.attr in TEXT_ATTRIBUTES:
                self._check(node.value)
            if isinstance(t, ast.Name) and t.id in ("TITLE", "SUB_TITLE", "BORDER_TITLE", "BORDER_SUBTITLE"):
                self._check(node.value)
        self.generic_visit(node)


def widget_classes(root: Path = PACKAGE) -> set[str]:
    """The names of the classes tui-dl defines in tui_dl/app (its widgets, screens, views)."""
    names = set()
    for path in (root / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.bases:
                names.add(node.name)
    return names


def code_words() -> set[str]:
    """:data:`CODE_WORDS`, the layer kinds, and the words of :data:`ALLOWED`'s strings."""
    words = set(CODE_WORDS)
    try:
        from tui_dl.core.model.layers import LAYERS
        words |= set(LAYERS)
    except Exception:  # the registry's name moved: the scan still runs, with the fixed list
        pass
    return words


#: (file relative to tui_dl/, the exact literal): English that stays English, and why.
ALLOWED: dict[tuple[str, str], str] = {
    ("app/views/build_view.py", "warning"): "a notify severity",
    ("app/editing.py", "{} is not a hidden activation kind"): "a programmer's error (ValueError), never shown",
    ("app/editing.py", "unknown settings section {}"): "a programmer's error (ValueError), never shown",
    ("app/widgets/field_form.py", "true"): "a YAML value (a bool field's checkbox shows what the YAML says)",
    ("app/widgets/field_form.py", "false"): "a YAML value (a bool field's checkbox shows what the YAML says)",
    ("app/widgets/field_form.py", "changed"): "an Input's validate_on event name",
    ("app/widgets/field_form.py", "submitted"): "an Input's validate_on event name",
    ("app/widgets/palette.py", "bold"): "a Rich style",
    ("app/views/runs_view.py", "warning"): "a notify severity",
    ("app/views/runs_view.py", "row"): "a DataTable cursor_type",
    ("app/views/runs_view.py", "runs"): "a view's id (ViewMounted)",
    ("app/views/settings_view.py", "setup"): "a view's id (ViewMounted)",
    ("app/views/learn_view.py", "learn"): "a view's id (ViewMounted)",
    ("app/views/train_view.py", "train"): "a view's id (ViewMounted)",
    ("app/views/learn/activations_lab.py", "args"): "a lab input's name (LabError.field)",
    ("app/views/learn/optimizers_lab.py", "start"): "a lab input's name (LabError.field)",
    ("app/views/learn/optimizers_lab.py", "steps"): "a lab input's name (LabError.field)",
    ("app/views/learn/optimizers_lab.py", "beta"): "a lab input's name (LabError.field)",
    ("app/views/learn_view.py", "up"): "a binding's key or action",
    ("app/views/learn_view.py", "down"): "a binding's key or action",
    ("app/views/learn_view.py", "select"): "a binding's key or action",
    ("app/views/learn_view.py", "pageup"): "a binding's key or action",
    ("app/views/learn_view.py", "pagedown"): "a binding's key or action",
    ("app/views/learn/base.py", "up"): "a binding's key or action",
    ("app/views/learn/base.py", "down"): "a binding's key or action",
    ("app/views/learn/base.py", "pageup"): "a binding's key or action",
    ("app/views/learn/base.py", "pagedown"): "a binding's key or action",
    ("app/screens/attack_screen.py", "bold"): "a Rich style",
    ("app/screens/gallery_screen.py", "bold"): "a Rich style",
    ("app/screens/open_modal.py", "bold"): "a Rich style",
    ("app/screens/open_modal.py", "dim"): "a Rich style",
    ("core/runs/checkpoint_check.py", '{}.params'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.lr'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.state.{}'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.python'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.numpy'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.epoch'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", '{}.std'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", 'history'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/runs/checkpoint_check.py", 'optimizer.state.{}.{}'): "a checkpoint field's path (DamagedCheckpoint.field): a code word",
    ("core/data/__init__.py", "module {} has no attribute {}"): "Python's own AttributeError text (module __getattr__)",
    ("core/model/layers/activation.py", "dim"): "a layer field's name (ShapeError.field)",
    ("core/model/layers/conv.py", "padding"): "a layer field's name (ShapeError.field)",
    ("core/model/layers/conv.py", "groups"): "a layer field's name (ShapeError.field)",
    ("core/model/layers/pool.py", "padding"): "a layer field's name (ShapeError.field)",
    ("core/model/layers/structure.py", "projection"): "a layer field's name (ShapeError.field)",
    ("core/model/shapes.py", "type"): "a layer field's name (LayerProblem.field)",
    ("core/model/shapes.py", "layers"): "a layer field's name (LayerProblem.field)",
    ("core/config/fields.py", "unknown field kind {}"): "an internal AssertionError (a programming mistake)",
    ("cli/report.py", "<!-- keys:start -->\n"): "a README block marker (the README stays English)",
    ("cli/report.py", "\n<!-- keys:end -->\n"): "a README block marker (the README stays English)",
    ("cli/report.py", "<!-- layers:start -->\n"): "a README block marker (the README stays English)",
    ("cli/report.py", "\n<!-- layers:end -->\n"): "a README block marker (the README stays English)",
    ("cli/report.py", "<!-- config:start -->\n"): "a README block marker (the README stays English)",
    ("cli/report.py", "\n<!-- config:end -->"): "a README block marker (the README stays English)",
    ("cli/schema.py", "no JSON Schema for field kind {}"): "a programming error for tui-dl's developers",
}


def scan_file(path: Path, widgets: set[str] | None = None, words: set[str] | None = None) -> list[Finding]:
    rel = path.relative_to(PACKAGE).as_posix()
    scanner = _Scanner(rel, widget_classes() if widgets is None else widgets,
                       code_words() if words is None else words)
    scanner.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return [f for f in scanner.findings if (rel, f.text) not in ALLOWED]


def scan(paths: list[Path] | None = None) -> list[Finding]:
    files = []
    for p in paths or [PACKAGE]:
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    widgets, words = widget_classes(), code_words()
    out: list[Finding] = []
    for f in files:
        if f.name != "i18n.py":
            out += scan_file(f.resolve(), widgets, words)
    return out


if __name__ == "__main__":
    found = scan([Path(a).resolve() for a in sys.argv[1:]] or None)
    for f in found:
        print(f)
    print(f"{len(found)} unmarked strings", file=sys.stderr)
