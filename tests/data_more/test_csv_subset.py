"""Tabular data from a CSV file and data.subset (issue 17, item 7): the happy path, each error with file:line,
standardisation from the training split, and training on the first N examples."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.config.experiment import parse_experiment
from tui_dl.core.data import DataError, load_dataset

HEADER = "sepal,petal,width,species\n"


def _table(tmp_path, body: str, header: str = HEADER):
    p = tmp_path / "t.csv"
    p.write_text(header + body)
    return p


def _rows(n=50):
    g = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        cls = ["setosa", "virginica", "versicolor"][i % 3]
        a, b, c = (torch.rand(3, generator=g) + (i % 3)).tolist()
        out.append(f"{a:.3f},{100 * b:.1f},{c:.3f},{cls}")
    return "\n".join(out) + "\n"


def test_a_csv_table_loads_standardised_with_classes_from_its_labels(tmp_path):
    p = _table(tmp_path, _rows(50))
    d = load_dataset("csv", path=str(p), label="species", val_split=0.2, input_shape=[3])
    assert d.classes == ["setosa", "versicolor", "virginica"] and d.input_shape == (3,)
    assert len(d.train) + len(d.val) + len(d.test) == 50 and len(d.test) == 10 and len(d.val) == 8
    assert d.train.x.dtype == torch.float32 and d.train.y.dtype == torch.int64
    x = (d.train.x - torch.tensor(d.mean)) / torch.tensor(d.std)  # the Batcher's normalisation
    assert torch.allclose(x.mean(0), torch.zeros(3), atol=1e-5)  # from the training split alone
    assert torch.allclose(x.std(0, unbiased=False), torch.ones(3), atol=1e-4)
    assert "50 rows, 3 features, 3 classes" in d.source


def test_numeric_labels_are_ordered_as_numbers(tmp_path):
    p = _table(tmp_path, "".join(f"{i},{i * 2},{i % 3},{[10, 9, 2][i % 3]}\n" for i in range(20)))
    assert load_dataset("csv", path=str(p), label="species", val_split=0).classes == ["2", "9", "10"]


@pytest.mark.parametrize("body, header, label, words", [
    ("1,2,3,a\n1,2,a\n", HEADER, "species", ["t.csv:3:", "has 3 cells but the header has 4"]),
    ("1,2,3,a\n1,x2,3,b\n", HEADER, "species", ["t.csv:3:", "column 'petal' holds 'x2', not a number"]),
    ("1,2,3,a\n1,2,3,b\n", HEADER, "class", ["t.csv:1:", "no label column 'class'", "'species'"]),
    ("1,2,3,a\n1,nan,3,b\n", HEADER, "species", ["t.csv:3:", "'nan', not a number"]),
    ("", "", "species", ["the file is empty"]),
    ("1,2,3,a\n1,2,3,a\n", HEADER, "species", ["at least two classes"]),
])
def test_each_bad_table_is_one_clear_error_with_file_and_line(tmp_path, body, header, label, words):
    p = _table(tmp_path, body, header)
    with pytest.raises(DataError) as e:
        load_dataset("csv", path=str(p), label=label, val_split=0)
    for w in words:
        assert w in str(e.value), str(e.value)


def test_a_missing_file_a_missing_path_and_a_wrong_input_shape(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("csv", path=str(tmp_path / "none.csv"))
    with pytest.raises(DataError, match="needs `path:`"):
        load_dataset("csv")
    with pytest.raises(DataError, match=r"3 features but the network's input is \[4\]"):
        load_dataset("csv", path=str(_table(tmp_path, _rows(10))), label="species", input_shape=[4])


def test_a_csv_experiment_trains(tmp_path):
    from tui_dl.core.training.events import Finished
    from tui_dl.core.training.loop import iter_training

    p = _table(tmp_path, _rows(60))
    exp = parse_experiment(f"""
name: table
input: [3]
layers: [{{type: Linear, out_features: 8}}, {{type: ReLU}}, {{type: Linear, out_features: 3}}]
data: {{name: csv, path: {p}, label: species, val_split: 0.2}}
train: {{epochs: 2, batch_size: 16, threads: 1}}
""", "table.yaml")
    fin = [e for e in iter_training(exp, run_dir=tmp_path / "run") if isinstance(e, Finished)][0]
    assert fin.status == "completed" and fin.classes == ["setosa", "versicolor", "virginica"]


def test_subset_trains_on_the_first_n_training_examples():
    full = load_dataset("moons", num_samples=200, val_split=0.25)
    sub = load_dataset("moons", num_samples=200, val_split=0.25, subset=30)
    assert len(sub.train) == 30 and torch.equal(sub.train.x, full.train.x[:30])
    assert torch.equal(sub.val.x, full.val.x) and torch.equal(sub.test.x, full.test.x)  # only training shrinks
    assert "first 30 examples" in sub.source
    with pytest.raises(DataError, match="subset"):
        load_dataset("moons", subset=0)


def test_the_config_accepts_the_new_data_fields_and_refuses_a_bad_subset():
    from tui_dl.core.config.experiment import ConfigError

    base = "name: t\ninput: [2]\nlayers: [{type: Linear, out_features: 2}]\n"
    exp = parse_experiment(base + "data: {name: csv, path: a.csv, label: y, subset: 5}\n")
    assert (exp.data.name, exp.data.path, exp.data.label, exp.data.subset) == ("csv", "a.csv", "y", 5)
    with pytest.raises(ConfigError, match="data.subset"):
        parse_experiment(base + "data: {name: moons, subset: 0}\n")
