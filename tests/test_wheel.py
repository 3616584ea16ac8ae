"""The package as a user gets it (issue 16 item 3): the wheel is built from a copy of the source, installed into a
fresh virtual environment, and `tui-dl` is run from an empty folder outside the checkout: presets, summary, a
1-epoch --batch run, export and predict. The wheel carries the presets, the LICENSE and the metadata.

The new environment reuses this one's installed packages (torch is never downloaded again): a .pth file puts
this environment's site-packages after the venv's own, where the wheel is installed, so `tui_dl` comes from the
wheel (checked). pip installs with --no-index (nothing is fetched) and --ignore-installed (an editable tui-dl in
this environment does not count as installed). Building needs setuptools>=77 here (the test extra has it);
with an older one pip builds in an isolated environment, as `pip install` does.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

import tui_dl

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "tui_dl", "presets")
PRESETS = sorted(p.name for p in (ROOT / "presets").glob("*.yaml"))

pytestmark = pytest.mark.slow


def _setuptools_is_recent() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    major = int(setuptools.__version__.split(".")[0])
    return major >= 77


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return {**env, "NO_COLOR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "OMP_NUM_THREADS": "1"}


def _run(cmd, cwd, timeout=300):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, env=_env(), timeout=timeout)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} exited {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCE:  # a copy: the build leaves build/ and *.egg-info behind, and stale files must not ship
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(p, src / name)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", src]
    if _setuptools_is_recent():  # build with this environment's setuptools: nothing is fetched
        cmd.insert(4, "--no-build-isolation")
    _run(cmd, cwd=tmp)
    (found,) = (tmp / "dist").glob("tui_dl-*.whl")
    return found


def test_the_wheel_carries_the_presets_the_license_and_the_metadata(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert sorted(n.split("/")[-1] for n in names if n.startswith("tui_dl/presets/")) == PRESETS
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "tui_dl/app/app.tcss" in names
    assert "tui_dl/locale/zh_CN/LC_MESSAGES/tui_dl.mo" in names  # the Chinese interface (issue 20)
    headers = [line for line in meta.split("\n\n", 1)[0].splitlines()]
    assert f"Version: {tui_dl.__version__}" in headers and "License-Expression: MIT" in headers
    assert sum(h.startswith("Classifier: ") for h in headers) >= 8
    assert any(h.startswith("Project-URL: Source, ") for h in headers)
    assert any(h.startswith("Keywords: ") for h in headers) and "Provides-Extra: onnx" in headers
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_installed_from_the_wheel_it_works_outside_the_checkout(wheel, tmp_path):
    t0 = time.perf_counter()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path)
                .stdout.strip())
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_reuse_parent_packages.pth").write_text("\n".join(sorted(here)) + "\n")
    _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", wheel], cwd=tmp_path)
    tui = venv / "bin" / "tui-dl"
    work = tmp_path / "somewhere" / "else"
    work.mkdir(parents=True)
    where = _run([py, "-c", "import tui_dl; print(tui_dl.__file__)"], cwd=work).stdout.strip()
    assert where.startswith(str(site)), where  # the wheel's copy, not the checkout
    installed = time.perf_counter() - t0

    assert _run([tui, "--version"], cwd=work).stdout.strip() == f"tui-dl {tui_dl.__version__}"
    out = _run([tui, "presets"], cwd=work).stdout
    assert all(f"  {Path(p).stem} " in out for p in PRESETS) and str(site) in out
    out = _run([tui, "summary", "lenet5"], cwd=work).stdout
    assert "Total params: 61,706" in out
    out = _run([tui, "--batch", "lenet5", "--epochs", "1", "--set", "data.name=synthetic-digits",
                "--set", "data.num_samples=500", "--set", "train.threads=1", "--out", "run", "--quiet"], cwd=work).stdout
    assert out.startswith("completed") and (work / "run" / "best.pt").is_file()
    formats = ["torchscript", "py"] + (["onnx"] if importlib.util.find_spec("onnx") else [])
    for fmt in formats:
        _run([tui, "export", "run", "--format", fmt], cwd=work)
    assert (work / "lenet_5.py").is_file() and (work / "lenet_5.pt").is_file()
    assert (work / "lenet_5.torchscript.pt.txt").is_file()
    from PIL import Image

    Image.new("L", (28, 28), 0).save(work / "some.png")
    out = _run([tui, "predict", "run", "some.png", "--top", "2"], cwd=work).stdout
    assert out.startswith("some.png: ") and out.count("%") == 3
    elapsed = time.perf_counter() - t0
    print(f"\nwheel install {installed:.1f}s, then presets/summary/batch/export x{len(formats)}/predict: "
          f"{elapsed:.1f}s in all")
