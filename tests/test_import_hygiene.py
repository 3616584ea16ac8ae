"""The core is an engine: no Textual, Rich or plotext anywhere in it, and the builder's modules load no torch."""

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
    if not pathlib.Path("tui_dl/cli/batch.py").exists():
        pytest.skip("batch runner not present")
    mods = loaded_after("import tui_dl.cli.batch")
    assert not mods & set(UI_LIBS)
