"""`--dry-run` (and `--print-config`) with `--sweep` check every combination, as the sweep would, instead of
ignoring the --sweep (the CLI walk-through: a typo in a swept key passed the dry run, then failed the sweep)."""

from __future__ import annotations

import pytest

from tests.test_sweep_cli import TINY
from tui_dl.cli.main import main


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    return tmp_path


@pytest.mark.parametrize("flag", ["--dry-run", "--print-config"])
def test_a_bad_swept_value_fails_the_dry_run(tiny, capsys, flag):
    assert main(["--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,adum", flag]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'adum' is not one of" in err and "Traceback" not in err
    assert not (tiny / "runs").exists()


def test_a_good_sweep_dry_run_lists_its_runs_and_writes_nothing(tiny, capsys):
    assert main(["--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,adam",
                 "--sweep", "train.lr=0.1,0.01", "--print-config"]) == 0
    out, err = capsys.readouterr()
    assert "sweep: 4 runs of tiny.yaml" in err and "[4/4] optimizer=adam, lr=0.01" in err
    assert out.startswith("name: tiny") and not (tiny / "runs").exists()


def test_resuming_a_sweep_keeps_the_command_that_started_it(tiny, capsys, monkeypatch):
    import json

    cmd = ["--batch", "tiny.yaml", "--sweep", "train.optimizer.name=sgd,adam", "--quiet"]
    monkeypatch.setattr("sys.argv", ["tui-dl", *cmd])
    assert main(cmd) == 0
    (folder,) = sorted((tiny / "runs").glob("sweep-*"))
    monkeypatch.setattr("sys.argv", ["tui-dl", "--batch", "--resume", str(folder)])
    assert main(["--batch", "--resume", str(folder), "--quiet"]) == 0
    assert json.loads((folder / "sweep.json").read_text())["command"] == cmd


def test_train_lr_and_train_optimizer_lr_in_one_sweep_are_refused():
    from tui_dl.core.config.sweep import SweepError, expand, parse_axis

    with pytest.raises(SweepError, match="are the same setting"):
        expand([parse_axis("train.lr=0.1,0.3"), parse_axis("train.optimizer.lr=0.2")])
    assert len(expand([parse_axis("train.lr=0.1,0.3"), parse_axis("train.optimizer.name=sgd,adam")])) == 4
