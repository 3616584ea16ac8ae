"""tui-dl export (issue 16 item 5): every format reproduces the trained network on the same input (images in
[0, 1], normalisation inside, logits out), the py export runs in a fresh interpreter where tui-dl cannot be
imported (and TorchScript loads there too), the ONNX model runs in onnxruntime within 1e-4, a card with the input
and the layer table is written beside each file, and bad input is one line with exit 2."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import sysconfig
import textwrap

import pytest
import torch

from tui_dl.cli.main import main
from tui_dl.core.config.experiment import experiment_from_data, load_experiment
from tui_dl.core.data import normalize_batch
from tui_dl.core.export import FORMATS, ExportError, export_model, load_trained
from tui_dl.core.model.build import build_model
from tui_dl.core.runs.checkpoint import save_checkpoint

RGB_NET = {"name": "RGB net", "input": [3, 12, 12],
           "layers": [{"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": "same"},
                      {"type": "BatchNorm2d"}, {"type": "LeakyReLU"}, {"type": "AvgPool2d", "kernel_size": 2},
                      {"type": "Dropout2d", "p": 0.2}, {"type": "Flatten"}, {"type": "Linear", "out_features": 3},
                      {"type": "Softmax", "dim": 1}],
           "data": {"name": "image-folder", "root": "pics"}, "train": {"loss": "cross_entropy"}}


def _facts(shape, classes, mean, std):
    pixels = len(shape) == 3
    return {"input_shape": list(shape), "classes": classes, "input_dtype": "uint8" if pixels else "float32",
            "scale": 1 / 255 if pixels else 1.0, "mean": mean, "std": std,
            "normalization": "(x * scale - mean[c]) / std[c] per channel c" if mean else "x * scale"}


def make_checkpoint(folder, exp, facts, seed=0):
    """A run folder with a best.pt like training writes: random weights, random BatchNorm statistics."""
    torch.manual_seed(seed)
    model = build_model(exp.network)
    for m in model.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
    folder.mkdir(parents=True, exist_ok=True)
    save_checkpoint(folder / "best.pt", model=model.state_dict(), spec=exp.network.to_dict(),
                    experiment=exp.to_dict(), inference=facts, epoch=3)
    return folder


NETS = {
    "lenet5": (lambda: load_experiment("presets/lenet5.yaml"), _facts([1, 28, 28], [str(i) for i in range(10)],
                                                                         [0.1307], [0.3081])),
    "resnet_small": (lambda: load_experiment("presets/resnet_small.yaml"),
                     _facts([1, 28, 28], [str(i) for i in range(10)], [0.2], [0.35])),
    "rgb": (lambda: experiment_from_data(RGB_NET, "rgb"), _facts([3, 12, 12], ["cat", "dog", "emu"],
                                                                 [0.5, 0.4, 0.3], [0.25, 0.2, 0.3])),
    "fnn_2_3_1": (lambda: load_experiment("presets/fnn_2_3_1.yaml"), _facts([2], ["0", "1"], [], [])),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {key: make_checkpoint(root / key, make(), facts, seed=i)
            for i, (key, (make, facts)) in enumerate(NETS.items())}


def reference(trained, n=4, seed=7):
    """A batch as the exports take it ([0, 1] pixels), and the logits tui-dl's own model gives for it, fed the
    way the trainer feeds a batch (uint8 → normalize_batch)."""
    g = torch.Generator().manual_seed(seed)
    if trained.is_image:
        u8 = torch.randint(0, 256, (n, *trained.input_shape), generator=g, dtype=torch.uint8)
        x = u8.float() / 255
        inf = trained.inference
        net_in = normalize_batch(u8, inf["mean"], inf["std"])
    else:
        x = torch.randn((n, *trained.input_shape), generator=g)
        net_in = x
    with torch.no_grad():
        return x, trained.model(net_in)


def _load(fmt, path):
    if fmt == "torchscript":
        return torch.jit.load(str(path))
    if fmt == "state_dict":
        return torch.load(path, weights_only=True)
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_model()


@pytest.mark.parametrize("key", list(NETS))
@pytest.mark.parametrize("fmt", ["state_dict", "torchscript", "py"])
def test_every_format_reproduces_the_network(key, fmt, runs, tmp_path):
    trained = load_trained(runs[key])
    assert trained.checkpoint.name == "best.pt" and trained.epoch == 3
    result = export_model(trained, fmt, tmp_path / f"m{FORMATS_SUFFIX[fmt]}")
    x, want = reference(trained)
    loaded = _load(fmt, result.files[0])
    if fmt == "state_dict":
        assert loaded["format"] == "tui-dl-state-dict" and loaded["classes"] == trained.classes
        assert loaded["input_shape"] == list(trained.input_shape)
        net = build_model(load_experiment_spec(loaded))
        net.load_state_dict(loaded["model"])
        net.eval()
        if loaded["mean"]:
            view = (1, -1) + (1,) * (len(loaded["input_shape"]) - 1)
            x = (x - torch.tensor(loaded["mean"]).view(view)) / torch.tensor(loaded["std"]).view(view)
        got = net(x)
    else:
        got = loaded(x)
    with torch.no_grad():
        assert torch.allclose(got, want, atol=1e-5, rtol=1e-4), (got - want).abs().max()
    card = result.card.read_text()
    assert result.card.name == result.files[0].name + ".txt"
    for words in ("Input", f"[N, {', '.join(map(str, trained.input_shape))}]", "Output", "logits",
                  "Total params", "Load it in plain PyTorch", trained.classes[-1]):
        assert words in card, words
    if fmt == "py":
        assert result.files[1].suffix == ".pt" and "load_model" in result.files[0].read_text()


FORMATS_SUFFIX = {"state_dict": ".pt", "torchscript": ".ts.pt", "onnx": ".onnx", "py": ".py"}


def load_experiment_spec(saved):
    from tui_dl.core.model.spec import NetworkSpec

    return NetworkSpec.from_dict(saved["spec"])


def test_onnx_runs_in_onnxruntime_with_the_same_outputs(runs, tmp_path):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install 'tui-dl[onnx]')")
    onnx = pytest.importorskip("onnx")
    for key in NETS:
        trained = load_trained(runs[key])
        result = export_model(trained, "onnx", tmp_path / f"{key}.onnx")
        assert result.opset == 17
        model = onnx.load(str(result.files[0]))
        assert model.opset_import[0].version == 17
        meta = {p.key: p.value for p in model.metadata_props}
        assert json.loads(meta["classes"]) == trained.classes
        assert json.loads(meta["tui_dl"])["input"]["shape"] == ["N", *trained.input_shape]
        session = ort.InferenceSession(str(result.files[0]), providers=["CPUExecutionProvider"])
        (inp,) = session.get_inputs()
        assert inp.name == trained.input_name and not isinstance(inp.shape[0], int)  # dynamic batch
        for n in (1, 4):  # any batch size
            x, want = reference(trained, n=n)
            got = session.run(["logits"], {inp.name: x.numpy()})[0]
            assert abs(got - want.numpy()).max() <= 1e-4, key
        assert "opset 17" in result.card.read_text()


def test_the_three_model_formats_agree_on_the_same_input(runs, tmp_path):
    trained = load_trained(runs["resnet_small"])
    x, want = reference(trained, n=3)
    outs = {}
    for fmt in ("torchscript", "py"):
        outs[fmt] = _load(fmt, export_model(trained, fmt, tmp_path / f"m{FORMATS_SUFFIX[fmt]}").files[0])(x)
    if _has("onnxruntime"):
        import onnxruntime as ort

        path = export_model(trained, "onnx", tmp_path / "m.onnx").files[0]
        outs["onnx"] = torch.from_numpy(ort.InferenceSession(str(path)).run(None, {"images": x.numpy()})[0])
    for fmt, got in outs.items():
        assert torch.allclose(got, want, atol=1e-4), fmt


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _site_packages() -> list[str]:
    return sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                   os.path.dirname(os.path.dirname(torch.__file__))})


def test_py_and_torchscript_exports_run_where_tui_dl_cannot_be_imported(runs, tmp_path):
    """A fresh interpreter (-I: no PYTHONPATH, no user site; -S: no .pth files, so no editable-install hook) whose
    sys.path holds the export folder, the standard library and torch's site-packages, with tui_dl blocked."""
    out = tmp_path / "exported"
    out.mkdir()
    wants = {}
    for key in ("resnet_small", "rgb", "fnn_2_3_1"):
        trained = load_trained(runs[key])
        export_model(trained, "py", out / f"{key}.py")
        export_model(trained, "torchscript", out / f"{key}.torchscript.pt")
        x, want = reference(trained, n=3)
        torch.save(x, out / f"{key}.input.pt")
        wants[key] = want
    script = textwrap.dedent(f"""
        import sys
        sys.modules["tui_dl"] = None  # import tui_dl raises ImportError, whatever is installed
        sys.path[:0] = [{str(out)!r}] + {_site_packages()!r}
        try:
            import tui_dl
            raise SystemExit("tui_dl was importable")
        except ImportError:
            pass
        import importlib, torch
        for key in {list(wants)!r}:
            x = torch.load({str(out)!r} + f"/{{key}}.input.pt", weights_only=True)
            model = importlib.import_module(key).load_model()
            torch.save(model(x).detach(), {str(out)!r} + f"/{{key}}.py.out.pt")
            ts = torch.jit.load({str(out)!r} + f"/{{key}}.torchscript.pt")
            torch.save(ts(x).detach(), {str(out)!r} + f"/{{key}}.ts.out.pt")
        print("ok", sorted(m for m in sys.modules if m.startswith("tui")))
    """)
    r = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, cwd=tmp_path,
                       env={"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1"}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("ok ['tui_dl']"), r.stdout  # only the blocker entry, never a real module
    for key, want in wants.items():
        for kind in ("py", "ts"):
            got = torch.load(out / f"{key}.{kind}.out.pt", weights_only=True)
            assert torch.allclose(got, want, atol=1e-5, rtol=1e-4), (key, kind)


def test_onnx_missing_gives_the_install_hint(runs, tmp_path, monkeypatch):
    from tui_dl.core.export import onnx_format

    monkeypatch.setattr(onnx_format, "onnx_available", lambda: False)
    with pytest.raises(ExportError, match=r"pip install 'tui-dl\[onnx\]'"):
        export_model(load_trained(runs["lenet5"]), "onnx", tmp_path / "m.onnx")
    rc, out, err = cli("export", runs["lenet5"], "--format", "onnx", "-o", tmp_path / "m.onnx")
    assert rc == 2 and err.count("\n") == 1 and "tui-dl[onnx]" in err and not (tmp_path / "m.onnx").exists()


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as e:  # argparse
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def test_the_export_command_writes_the_file_and_its_card(runs, tmp_path, monkeypatch):
    from tui_dl.cli import export as export_cli

    assert export_cli.FORMATS == FORMATS  # the command lists them without loading torch
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli("export", runs["lenet5"], "--format", "torchscript")
    assert rc == 0, err
    assert (tmp_path / "lenet_5.torchscript.pt").is_file() and (tmp_path / "lenet_5.torchscript.pt.txt").is_file()
    assert "lenet_5.torchscript.pt" in out and "[N, 1, 28, 28]" in err
    rc, out, err = cli("export", runs["lenet5"] / "best.pt", "-f", "py", "-o", tmp_path)  # a folder: default name
    assert rc == 0, err
    assert (tmp_path / "lenet_5.py").is_file() and (tmp_path / "lenet_5.pt").is_file()


@pytest.mark.parametrize("args, words", [
    (["export", "nowhere", "--format", "py"], "nowhere: no such run folder or checkpoint"),
    (["export", "RUN", "--format", "keras"], "invalid choice: 'keras'"),
    (["export", "RUN"], "the following arguments are required: --format"),
    (["export", "RUN", "--format", "py", "-o", "model.txt"], "a --format py export is a .py file"),
    (["export", "RUN", "--format", "onnx", "-o", "no/such/dir/m.onnx"], "does not exist"),
    (["export", "NOTCKPT", "--format", "state_dict"], "could not be read as a checkpoint"),
])
def test_bad_export_input_is_one_line_and_exit_2(args, words, runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    args = [str(runs["lenet5"]) if a == "RUN" else str(tmp_path / "junk.pt") if a == "NOTCKPT" else a
            for a in args]
    rc, out, err = cli(*args)
    assert rc == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_a_checkpoint_without_inference_facts_is_refused_by_name(tmp_path):
    exp = load_experiment("presets/lenet5.yaml")
    model = build_model(exp.network)
    save_checkpoint(tmp_path / "old.pt", model=model.state_dict(), spec=exp.network.to_dict(),
                    experiment=exp.to_dict())
    with pytest.raises(ExportError, match="old.pt does not say what input"):
        load_trained(tmp_path / "old.pt")
    (tmp_path / "summary.json").write_text(json.dumps({"inference": NETS["lenet5"][1]}))
    assert load_trained(tmp_path / "old.pt").classes[0] == "0"  # the run folder's summary.json tells it
