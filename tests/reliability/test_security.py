"""Security: experiment files are data (safe YAML only), checkpoints are data (``torch.load(weights_only=True)``
only), paths in configs are paths (never run by a shell). A scan of the package's source, with a self-test
showing the scan catches each pattern, plus end-to-end refusals of hostile files."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
import torch

from tests.reliability.helpers import ROOT, checkpoint_ok, cli, fault, moons_yaml, write

PACKAGE = ROOT / "tui_dl"

# ----------------------------------------------------------------------------- source scan

SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
UNSAFE_YAML = {"unsafe_load", "unsafe_load_all", "full_load", "full_load_all", "UnsafeLoader", "FullLoader",
               "Loader", "CLoader", "CFullLoader", "CUnsafeLoader"}
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
NEVER_IMPORTED = PICKLE_MODULES - {"pickle"}  # pickle itself may be imported for pickle.UnpicklingError
TEXT_RULES = [  # belt and braces for what the AST rules could miss (getattr tricks, strings)
    (re.compile(r"\bunsafe_load\b|\bUnsafeLoader\b|\bFullLoader\b"), "unsafe YAML loader"),
    (re.compile(r"weights_only\s*=\s*False"), "torch.load(weights_only=False)"),
    (re.compile(r"allow_pickle\s*=\s*True"), "numpy allow_pickle=True"),
    (re.compile(r"shell\s*=\s*True"), "subprocess with shell=True"),
    (re.compile(r"\bos\.(system|popen|exec[lv]p?e?)\s*\("), "os.system/popen/exec"),
]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def scan_source(text: str, name: str = "<src>") -> list[str]:
    """Findings (``name:line: what``) for code that could run what a file contains."""
    found: list[str] = []
    tree = ast.parse(text, filename=name)
    imported_from: dict[str, str] = {}  # local name -> module.attr  (from yaml import load)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                imported_from[a.asname or a.name] = f"{node.module}.{a.name}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for m in mods:
                if m.split(".")[0] in NEVER_IMPORTED:
                    found.append(f"{name}:{node.lineno}: imports {m} (unpickling runs code)")
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                b = _dotted(base)
                if b.startswith("yaml.") and b.split(".")[-1] in UNSAFE_YAML:
                    found.append(f"{name}:{node.lineno}: YAML loader subclasses unsafe {b}")
        if isinstance(node, ast.Attribute) and _dotted(node.value) == "yaml" and node.attr in UNSAFE_YAML:
            found.append(f"{name}:{node.lineno}: yaml.{node.attr}")
        if not isinstance(node, ast.Call):
            continue
        fn = _dotted(node.func)
        fn = imported_from.get(fn, fn)
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        if fn in ("eval", "exec", "__import__", "builtins.eval", "builtins.exec"):
            found.append(f"{name}:{node.lineno}: {fn}()")
        elif fn in ("yaml.load", "yaml.load_all"):
            loader = kw.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or _dotted(loader).split(".")[-1] not in SAFE_YAML_LOADERS:
                found.append(f"{name}:{node.lineno}: {fn}() without a safe Loader")
        elif fn.split(".")[0] in PICKLE_MODULES and fn.split(".")[-1] in ("load", "loads", "Unpickler", "open"):
            found.append(f"{name}:{node.lineno}: {fn}()")
        elif fn == "torch.load" or fn.endswith(".torch.load"):
            wo = kw.get("weights_only")
            if not (isinstance(wo, ast.Constant) and wo.value is True):
                found.append(f"{name}:{node.lineno}: torch.load without weights_only=True")
        elif fn in ("numpy.load", "np.load"):
            ap = kw.get("allow_pickle")
            if isinstance(ap, ast.Constant) and ap.value:
                found.append(f"{name}:{node.lineno}: np.load(allow_pickle=True)")
        elif fn in ("os.system", "os.popen", "os.execl", "os.execlp", "os.execv", "os.execvp", "os.spawnl",
                    "commands.getoutput", "subprocess.getoutput", "subprocess.getstatusoutput"):
            found.append(f"{name}:{node.lineno}: {fn}()")
        elif fn.startswith("subprocess.") or fn in ("Popen", "run", "call", "check_output", "check_call"):
            shell = kw.get("shell")
            if shell is not None and not (isinstance(shell, ast.Constant) and shell.value is False):
                found.append(f"{name}:{node.lineno}: {fn}(shell=...)")
    for pattern, what in TEXT_RULES:
        for m in pattern.finditer(text):
            line = text[: m.start()].count("\n") + 1
            source_line = text.splitlines()[line - 1]
            if source_line.lstrip().startswith("#"):
                continue
            if not any(f"{name}:{line}:" in f for f in found):
                found.append(f"{name}:{line}: {what}")
    return found


@pytest.mark.parametrize("snippet", [
    "import yaml\nyaml.load(open('x'))",
    "import yaml\nyaml.load(text, Loader=yaml.Loader)",
    "import yaml\nyaml.load(text, yaml.FullLoader)",
    "import yaml\nyaml.unsafe_load(text)",
    "from yaml import load\nload(text)",
    "import yaml\nclass L(yaml.UnsafeLoader):\n    pass",
    "import pickle\npickle.loads(b'')",
    "from pickle import load\nload(f)",
    "import marshal",
    "x = eval('1+1')",
    "exec('print(1)')",
    "__import__('os')",
    "import os\nos.system('ls')",
    "import os\nos.popen('ls')",
    "import subprocess\nsubprocess.run('ls', shell=True)",
    "import subprocess\nsubprocess.Popen(cmd, shell=flag)",
    "import torch\ntorch.load('x.pt')",
    "import torch\ntorch.load('x.pt', weights_only=False)",
    "import torch\ntorch.load('x.pt', weights_only=flag)",
    "import numpy as np\nnp.load('x.npy', allow_pickle=True)",
    "fn = getattr(yaml, 'unsafe_load')",
])
def test_the_scan_catches_each_unsafe_pattern(snippet):
    assert scan_source(snippet), f"the scan missed: {snippet!r}"


@pytest.mark.parametrize("snippet", [
    "import yaml\nyaml.safe_load(text)",
    "import yaml\nyaml.load(text, Loader=yaml.SafeLoader)",
    "import yaml\nclass L(yaml.SafeLoader):\n    pass",
    "import torch\ntorch.load(path, map_location='cpu', weights_only=True)",
    "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE)",
    "import re\nre.compile('x').match('y')",
    "model.eval()",
])
def test_the_scan_accepts_safe_code(snippet):
    assert scan_source(snippet) == []


def test_no_code_in_the_package_can_run_what_a_file_contains():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    findings = []
    for f in files:
        findings += scan_source(f.read_text(encoding="utf-8"), str(f.relative_to(ROOT)))
    assert findings == [], "\n".join(findings)
    # and the one place that loads checkpoints does it with weights_only=True
    assert "weights_only=True" in (PACKAGE / "core" / "runs" / "checkpoint.py").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- hostile checkpoints


class Payload:
    """What a hostile .pt file holds: unpickling it would run ``touch MARKER``."""

    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    f = write(d / "exp.yaml", moons_yaml("epochs: 1"))
    rc, _, err = cli("--batch", f, "--out", d / "run", "--quiet")
    assert rc == 0, err
    return d / "run"


def hostile(path: Path, marker: Path, base: dict | None = None) -> Path:
    p = Payload()
    p.marker = str(marker)
    torch.save({**(base or {"format": "tui-dl-checkpoint"}), "payload": p}, path)
    return path


def test_resume_refuses_a_checkpoint_holding_a_pickled_object(good_run, tmp_path):
    import shutil

    marker = tmp_path / "PWNED"
    run = tmp_path / "run"
    shutil.copytree(good_run, run)
    real = torch.load(run / "last.pt", weights_only=True)
    hostile(run / "last.pt", marker, base=real)  # a real checkpoint with one pickled object added
    for target in (run, run / "last.pt", hostile(tmp_path / "loose.pt", marker)):
        fault("security: --resume of a checkpoint holding a pickled object")
        rc, out, err = cli("--batch", "--resume", target)
        assert rc == 2, (out, err)
        path = target / "last.pt" if target.is_dir() else target
        assert f"{path} is not a tui-dl checkpoint, or it is unsafe" in err and "refused" in err, err
    assert not marker.exists(), "the pickled payload ran"


def test_a_whole_pickled_model_is_refused(tmp_path):
    """The classic ``torch.save(model)`` file from a tutorial is a pickle of an nn.Module: refused, not run."""
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    torch.save(model, tmp_path / "model.pt")
    fault("security: --resume of torch.save(model)")
    rc, _, err = cli("--batch", "--resume", tmp_path / "model.pt")
    assert rc == 2 and "unsafe" in err and str(tmp_path / "model.pt") in err, err


def test_tampered_checkpoint_contents_are_validated(good_run, tmp_path):
    import shutil

    marker = tmp_path / "PWNED"
    for what in ("layer type", "weights"):
        run = tmp_path / what.replace(" ", "_")
        shutil.copytree(good_run, run)
        (run / "config.yaml").unlink()  # resume from the checkpoint's own experiment
        ck = torch.load(run / "last.pt", weights_only=True)
        if what == "layer type":
            ck["experiment"]["layers"][0]["type"] = f"__import__('os').system('touch {marker}')"
        else:
            ck["model"] = {k: torch.zeros(3, 3) for k in ck["model"]}
        torch.save(ck, run / "last.pt")
        fault("security: tampered checkpoint contents")
        rc, out, err = cli("--batch", "--resume", run)
        assert rc == 2, (out, err)
        assert str(run / "last.pt") in err, err
    assert not marker.exists()


# ----------------------------------------------------------------------------- paths are paths


@pytest.mark.parametrize("root", [
    "$(touch {marker})",
    "`touch {marker}`",
    "x; touch {marker}",
    "|touch {marker}",
    "~/data; rm -rf {keep}",
])
@pytest.mark.parametrize("dataset", ["idx", "image-folder", "mnist"])
def test_data_root_is_a_literal_path_never_a_command(root, dataset, tmp_path, monkeypatch):
    import tui_dl.core.data.download as D

    def offline(*a, **k):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(D, "_urlopen", offline)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    marker, keep = tmp_path / "PWNED", tmp_path / "keep"
    keep.mkdir()
    (keep / "precious.txt").write_text("x")
    literal = root.format(marker=marker, keep=keep)
    f = write(tmp_path / "exp.yaml", (
        "name: paths\ninput: [1, 28, 28]\nlayers:\n  - {type: Flatten}\n  - {type: Linear, out_features: 10}\n"
        f"data: {{name: {dataset}, root: '{literal}', download: {str(dataset == 'mnist').lower()}}}\n"
        "train: {epochs: 1, threads: 1}\n"))
    fault("security: shell syntax in data.root")
    rc, out, err = cli("--batch", f, "--runs-dir", tmp_path / "runs", cwd=tmp_path)
    assert rc == 2, (out, err)
    expected = os.path.expanduser(literal) if literal.startswith("~") else literal
    assert expected in err, err  # named as given (with ~ expanded), nothing else done with it
    assert not marker.exists(), "a shell ran the path"
    assert (keep / "precious.txt").exists()


def test_the_experiment_name_cannot_escape_the_runs_folder(tmp_path):
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1", name="'../../../../tmp/escape'"))
    runs = tmp_path / "runs"
    fault("security: path traversal in the experiment name")
    rc, out, err = cli("--batch", f, "--runs-dir", runs, "--quiet")
    assert rc == 0, err
    made = list(runs.iterdir())
    assert len(made) == 1 and made[0].resolve().parent == runs.resolve(), made
    checkpoint_ok(made[0])


def test_set_values_are_never_evaluated(tmp_path):
    marker = tmp_path / "PWNED"
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1"))
    fault("security: code in a --set value")
    rc, _, err = cli("--batch", f, "--set", f"train.optimizer.lr=__import__('os').system('touch {marker}')")
    assert rc == 2 and "expected a number" in err, err
    assert not marker.exists()


def test_yaml_python_tags_are_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "PWNED"
    f = write(tmp_path / "exp.yaml", f"name: x\ninput: [2]\nlayers: !!python/object/apply:os.system "
                                     f"['touch {marker}']\n")
    fault("security: !!python tag in a config")
    rc, _, err = cli("--batch", f)
    assert rc == 2 and "not allowed" in err, err
    assert not marker.exists()
