"""The core is an engine: no Textual, Rich or plotext anywhere in it, and the builder's modules load no torch.
The app's widgets, views and screens use only the core modules that load no torch (the app starts without it)."""

from __future__ import annotations

import ast
import json
import pathlib
import subprocess
import sys

import pytest

UI_LIBS = ("textual", "rich", "plotext", "textual_plotext")
CORE = pathlib.Path("tui_dl/core")


def loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("module", ["tui_dl.core.model.spec", "tui_dl.core.model.layers", "tui_dl.core.model.shapes",
                                    "tui_dl.core.config.schema", "tui_dl.core.config.experiment", "tui_dl.core.training.events",
                                    "tui_dl.core.training.rate",
                                    "tui_dl.cli.report", "tui_dl.cli"])
def test_builder_modules_load_neither_ui_nor_torch(module):
    mods = loaded_after(f"import {module}")
    assert not mods & set(UI_LIBS), mods & set(UI_LIBS)
    assert "torch" not in mods


def test_summary_command_loads_no_torch():
    mods = loaded_after("from tui_dl.cli.main import main\nimport io, contextlib\n"
                        "with contextlib.redirect_stdout(io.StringIO()): main(['summary', 'presets/lenet5.yaml'])")
    assert "torch" not in mods and not mods & set(UI_LIBS)


def test_every_core_module_imports_no_ui_library():
    """Static check of every import statement in tui_dl/core, including imports inside functions."""
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for n in names:
                if n.split(".")[0] in UI_LIBS or n.startswith("tui_dl.app"):
                    offenders.append(f"{path}:{node.lineno}: {n}")
    assert offenders == []
    assert len(list(CORE.rglob("*.py"))) >= 8  # the scan really looked at the core


def test_batch_module_loads_no_ui():
    mods = loaded_after("import tui_dl.cli.batch")
    assert not mods & set(UI_LIBS)


# ----------------------------------------------------------------------------- the app's widgets, views, screens
APP_UI_DIRS = tuple(pathlib.Path("tui_dl/app") / d for d in ("widgets", "views", "screens"))

#: The core modules that widgets, views and screens may import: each loads no torch (checked below). A new one is
#: added here only if it stays torch-free; torch belongs in the training worker.
TORCH_FREE_CORE = (
    "tui_dl.core.config.experiment", "tui_dl.core.config.fields", "tui_dl.core.config.schema",
    "tui_dl.core.model.layers", "tui_dl.core.model.shapes", "tui_dl.core.model.spec",
    "tui_dl.core.training.best_epoch", "tui_dl.core.training.diagnosis", "tui_dl.core.training.events",
    "tui_dl.core.pictures", "tui_dl.core.insight.attack_settings", "tui_dl.core.config.sweep", "tui_dl.core.i18n",
    "tui_dl.core.settings", "tui_dl.core.device_names",
    "tui_dl.core.runs.provenance", "tui_dl.core.insight.robustness",
    "tui_dl.core.runs.sweep_record",
    # the Learn labs the app draws (the optimizer race loads torch: the app's lab controller runs it on a worker)
    "tui_dl.core.labs", "tui_dl.core.labs.activations", "tui_dl.core.labs.backprop", "tui_dl.core.labs.conv",
    "tui_dl.core.labs.losses", "tui_dl.core.labs.surfaces", "tui_dl.core.labs.values",
)


def _module_of(path: pathlib.Path) -> str:
    return ".".join(path.with_suffix("").parts).removesuffix(".__init__")


def _is_module(name: str) -> bool:
    base = pathlib.Path(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def tui_dl_imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, module) of every tui_dl import in a file, function-level ones included; ``from pkg import mod``
    counts as ``pkg.mod`` and relative imports are resolved."""
    package = _module_of(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_of(path)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((node.lineno, full if _is_module(full) else base))
    return [(line, name) for line, name in out if name.split(".")[0] == "tui_dl"]


def test_widgets_views_and_screens_import_only_torch_free_core_modules():
    files = [p for d in APP_UI_DIRS for p in sorted(d.rglob("*.py"))]
    assert len(files) >= 15  # the scan really looked at them
    offenders = [f"{p}:{line}: {name}" for p in files for line, name in tui_dl_imports(p)
                 if name.startswith("tui_dl.core") and name not in TORCH_FREE_CORE]
    assert offenders == [], "a widget/view/screen imports a core module not known to be torch-free"


def test_the_import_scan_sees_package_relative_and_function_level_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "tui_dl" / "app" / "views"
    pkg.mkdir(parents=True)
    (tmp_path / "tui_dl" / "core" / "data").mkdir(parents=True)
    (tmp_path / "tui_dl" / "core" / "data" / "__init__.py").write_text("")
    (tmp_path / "tui_dl" / "core" / "device.py").write_text("")
    (pkg / "bad.py").write_text("from tui_dl.core import device\n\ndef f():\n    from ...core.data import describe\n")
    monkeypatch.chdir(tmp_path)
    assert tui_dl_imports(pathlib.Path("tui_dl/app/views/bad.py")) == [(1, "tui_dl.core.device"),
                                                                       (4, "tui_dl.core.data")]


def test_the_allowed_core_modules_load_no_torch():
    mods = loaded_after("\n".join(f"import {m}" for m in TORCH_FREE_CORE))
    assert "torch" not in mods


def test_every_widget_view_and_screen_loads_without_torch():
    """The real check, through the app modules they import as well (session, editing, keys...)."""
    names = [_module_of(p) for d in APP_UI_DIRS for p in sorted(d.rglob("*.py"))]
    mods = loaded_after("\n".join(f"import {n}" for n in names))
    assert "torch" not in mods and "textual" in mods
