"""A mapping given with --set (`--set 'train.adversarial={eps: 2}'`) is not in the file: a problem in it names the
field without a line of the file (the CLI walk-through found `small.yaml:1:7:` pointing at the file's `name:`)."""

from __future__ import annotations

import pytest

from tui_dl.core.config.experiment import ConfigError, load_experiment

FILE = "name: tiny\ninput: [2]\nlayers:\n  - {type: Linear, out_features: 2}\ndata: {name: moons}\n"


@pytest.mark.parametrize("override, field", [("train.adversarial={eps: 2}", "train.adversarial.eps"),
                                             ("train.optimizer={name: adum}", "train.optimizer.name")])
def test_a_problem_in_a_set_mapping_has_no_line_of_the_file(tmp_path, override, field):
    p = tmp_path / "tiny.yaml"
    p.write_text(FILE)
    with pytest.raises(ConfigError) as e:
        load_experiment(p, overrides=[override])
    text = str(e.value)
    assert field in text and "tiny.yaml:1:" not in text, text
