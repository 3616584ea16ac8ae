"""TensorBoard logs from the run's events (issue 17, item 5): read back with tensorboard's own reader."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from tests.runs.helpers import train
from tui_dl.core.config.experiment import ConfigError, parse_experiment
from tui_dl.core.runs.tensorboard import confusion_image, _layer_stats

HAS_TB = importlib.util.find_spec("tensorboard") is not None


@pytest.mark.skipif(not HAS_TB, reason="tensorboard is not installed (pip install 'tui-dl[tensorboard]')")
def test_a_run_with_log_to_tensorboard_writes_scalars_the_confusion_image_and_hparams(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    train(run, epochs=2, log_to=["tensorboard"])
    acc = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"step/loss", "step/lr", "epoch/train_loss", "epoch/val_accuracy", "epoch/lr", "test/accuracy"} \
        <= set(tags["scalars"])
    assert [e.step for e in acc.Scalars("epoch/val_loss")] == [1, 2]
    assert len(acc.Scalars("step/loss")) >= 2
    assert "test/confusion" in tags["images"]
    # add_hparams(run_name=".") writes into the same folder: the HPARAMS tab's records and the results
    assert acc.PluginTagToContent("hparams") and "hparam/test_accuracy" in tags["scalars"]


def test_without_the_package_the_run_refuses_with_how_to_install(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"  # an import of it fails, find_spec says so
            "import importlib.util as u; real = u.find_spec\n"
            "u.find_spec = lambda n, *a: None if n == 'tensorboard' else real(n, *a)\n"
            "from tui_dl.cli.main import main\n"
            f"sys.exit(main(['--batch', 'toy.yaml', '--tensorboard', '--out', {str(tmp_path / 'run')!r}]))\n")
    from tests.runs.helpers import TOY_YAML

    (tmp_path / "toy.yaml").write_text(TOY_YAML.replace("EPOCHS", "1"))
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__)
                                                                             .resolve().parents[2])})
    assert r.returncode == 2, r.stderr
    assert "pip install 'tui-dl[tensorboard]'" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "run").exists()  # refused before the run folder was made


def test_log_to_is_a_list_of_known_targets():
    base = "name: t\ninput: [2]\nlayers: [{type: Linear, out_features: 2}]\n"
    assert parse_experiment(base + "train: {log_to: tensorboard}\n").train.log_to == ["tensorboard"]
    assert parse_experiment(base + "train: {log_to: [tensorboard]}\n").train.log_to == ["tensorboard"]
    with pytest.raises(ConfigError, match="wandb"):
        parse_experiment(base + "train: {log_to: [wandb]}\n")


def test_the_confusion_image_and_per_layer_stats():
    img = confusion_image([[3, 1], [0, 4]], cell=2)
    assert img.shape == (4, 4, 3) and img.dtype.name == "uint8"
    assert img[0, 0, 1] > 150 and img[0, 2, 0] > 0 and img[2, 0].tolist() == [0, 0, 0]
    assert _layer_stats([{"name": "0.Conv2d", "grad_norm": 0.5, "bad": "x"}]) == [("grad/0.Conv2d/grad_norm", 0.5)]
    assert _layer_stats({"fc": 1.5, "x": {"w": float("nan")}}) == [("grad/fc", 1.5)]
    assert _layer_stats(None) == []
