"""A run's summary.json (or another of its text files) given where a checkpoint is asked for says to give the run
folder, not that the file is a damaged torch file; the attack comparison names its files as written (the CLI
walk-through)."""

from __future__ import annotations

import pytest

from tui_dl.cli.attack_compare import _names
from tui_dl.core.runs.checkpoint import CheckpointError, load_checkpoint


@pytest.mark.parametrize("name", ["summary.json", "metrics.csv", "table.md"])
def test_a_run_text_file_is_not_called_damaged(tmp_path, name):
    run = tmp_path / "run"
    run.mkdir()
    (run / "last.pt").write_bytes(b"PK")  # a run folder (its checkpoint is not read)
    (run / name).write_text('{"status": "completed"}\n')
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(run / name)
    assert "one of the run's text files" in str(e.value) and f"give the run folder ({run})" in str(e.value)
    assert "damaged" not in str(e.value)


def test_the_written_attack_files_are_named_as_on_disk():
    assert _names(["fgsm"]) == "fgsm" and _names(["fgsm", "pgd"]) == "{fgsm,pgd}"


@pytest.mark.parametrize("shell, expected", [("bash", "--method) COMPREPLY=($(compgen -W 'fgsm pgd fgsm,pgd'"),
                                             ("fish", "-l method -xa 'fgsm pgd fgsm,pgd'"),
                                             ("zsh", ":value:(fgsm pgd fgsm,pgd)")])
def test_completion_offers_the_attack_methods(capsys, shell, expected):
    from tui_dl.cli.main import main

    assert main(["completion", shell]) == 0
    assert expected in capsys.readouterr().out


def test_a_folder_of_runs_or_sweeps_given_as_a_run_names_one(tmp_path):
    from tui_dl.core.runs.checkpoint import resolve_checkpoint_path

    (tmp_path / "runs" / "a").mkdir(parents=True)
    (tmp_path / "runs" / "a" / "last.pt").write_bytes(b"PK")
    (tmp_path / "sweeps" / "sweep-1").mkdir(parents=True)
    (tmp_path / "sweeps" / "sweep-1" / "sweep.json").write_text("{}")
    with pytest.raises(CheckpointError, match=r"It holds run folders: give one, e\.g\. .*runs/a"):
        resolve_checkpoint_path(tmp_path / "runs")
    with pytest.raises(CheckpointError, match=r"It holds sweeps: give one, e\.g\. .*sweep-1"):
        resolve_checkpoint_path(tmp_path / "sweeps")


def test_export_and_predict_name_a_run_inside_a_folder_of_runs(tmp_path):
    from tui_dl.core.export.trained import ExportError, _checkpoint_file

    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "last.pt").write_bytes(b"PK")
    with pytest.raises(ExportError, match=r"It holds run folders: give one, e\.g\. .*class/alice"):
        _checkpoint_file(tmp_path / "class")
