"""`--dry-run` says what the run would refuse: `data.augment` on samples that are not images (a toy set, a table)
passed the dry run and then stopped the real run (the CLI walk-through)."""

from __future__ import annotations

from tests.runs.helpers import TOY_YAML
from tui_dl.cli.main import main


def test_dry_run_refuses_augment_on_points(tmp_path, capsys):
    f = tmp_path / "toy.yaml"
    f.write_text(TOY_YAML.replace("EPOCHS", "1"))
    assert main(["--batch", str(f), "--set", "data.augment=[flip]", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "data.augment (flip) works on images" in err and "Remove data.augment" in err
    assert main(["--batch", str(f), "--dry-run"]) == 0


def test_an_augmented_run_says_so_in_its_log(tmp_path):
    from tests.test_sweep_cli import TINY
    from tui_dl.core.config.experiment import parse_experiment
    from tui_dl.core.training.events import Notice
    from tui_dl.core.training.loop import iter_training

    exp = parse_experiment(TINY, "tiny.yaml", ["data.augment=[crop, flip]", "train.limit_batches=1"])
    notes = [e.message for e in iter_training(exp, run_dir=tmp_path / "run") if isinstance(e, Notice)]
    assert any(m.startswith("data augmentation on every training batch: crop, flip") for m in notes), notes


def test_dry_run_says_when_tensorboard_is_missing(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a))
    f = tmp_path / "toy.yaml"
    f.write_text(TOY_YAML.replace("EPOCHS", "1"))
    assert main(["--batch", str(f), "--tensorboard", "--dry-run"]) == 2
    assert "needs the tensorboard package" in capsys.readouterr().err
