"""The csv dataset as a TA's student hands it in (the CLI walk-through): a table saved with semicolons says so,
and `--dry-run` on a missing CSV fails as the run would (it said "the run would download it first")."""

from __future__ import annotations

import pytest

from tui_dl.cli.main import main
from tui_dl.core.data import DataError, load_dataset

YAML = """name: t
input: [2]
layers:
  - {type: Linear, out_features: 2}
data: {name: csv, path: PATH, label: label}
train: {epochs: 1}
"""


@pytest.mark.parametrize("sep, word", [(";", "';'"), ("\t", "tabs")])
def test_a_table_with_semicolons_or_tabs_says_so(tmp_path, sep, word):
    p = tmp_path / "t.csv"
    p.write_text(sep.join(["a", "b", "label"]) + "\n" + sep.join(["1", "2", "x"]) + "\n")
    with pytest.raises(DataError) as e:
        load_dataset("csv", path=str(p), label="label", val_split=0)
    assert f"separated by {word}, not commas" in str(e.value) and "t.csv:1:" in str(e.value)


def test_dry_run_of_a_missing_csv_is_exit_2(tmp_path, capsys):
    f = tmp_path / "t.yaml"
    f.write_text(YAML.replace("PATH", str(tmp_path / "none.csv")))
    assert main(["--batch", str(f), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "download" not in err


def test_a_subset_larger_than_the_training_split_says_all_are_used():
    data = load_dataset("moons", num_samples=100, val_split=0.1, seed=0, subset=10_000)
    assert "data.subset 10,000 is not below the" in data.source and "all are used" in data.source


def test_a_missing_relative_csv_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as e:
        load_dataset("csv", path="iris.csv", label="species")
    assert f"a relative path is read from the current folder, {tmp_path}" in str(e.value)
