"""Messages that gave the wrong advice: resuming a run whose own config.yaml was edited (it said "Resume without
the file", which is what the student did), and a YAML experiment file given as the checkpoint (it was called a
damaged torch file). The IDX label file with label 200 and the 144-megapixel PNG are named by their own tests
(tests/core/test_data.py: ``label 200 (at position 17)``, ``test_image_folder_huge_image_is_named_...``)."""

from __future__ import annotations

import shutil

import pytest

from tests.reliability.helpers import cli, fault, moons_yaml, write


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    d = tmp_path_factory.mktemp("msgs")
    f = write(d / "exp.yaml", moons_yaml("epochs: 1"))
    rc, _, err = cli("--batch", f, "--out", d / "run", "--quiet")
    assert rc == 0, err
    return d / "run"


def test_resuming_with_an_edited_run_config_says_to_delete_it_or_start_a_new_run(finished, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    cfg = run / "config.yaml"
    cfg.write_text(cfg.read_text().replace("out_features: 16", "out_features: 32"))
    fault("message: resume with an edited run-folder config.yaml")
    rc, _, err = cli("--batch", "--resume", run)
    assert rc == 2, err
    assert "Resume without the file" not in err
    assert f"the network in {cfg} was changed after the run started" in err
    assert f"delete {cfg}" in err and f"tui-dl --batch {cfg} --out NEW_FOLDER" in err
    cfg.unlink()  # the advice works
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0, err


def test_resuming_with_another_file_whose_network_differs_says_to_leave_the_file_out(finished, tmp_path):
    other = write(tmp_path / "other.yaml", moons_yaml("epochs: 1").replace("out_features: 16", "out_features: 8"))
    rc, _, err = cli("--batch", other, "--resume", finished)
    assert rc == 2, err
    assert f"the network in {other} differs" in err and f"tui-dl --batch --resume {finished}" in err


@pytest.mark.parametrize("name", ["exp.yaml", "experiment"])
def test_a_yaml_file_given_as_the_checkpoint_is_called_a_yaml_file(name, tmp_path):
    f = write(tmp_path / name, moons_yaml("epochs: 1"))
    fault("message: --resume EXPERIMENT.yaml")
    for args, prefix in ((("--batch", "--resume", f), "tui-dl:"), (("predict", f, f), "tui-dl predict:"),
                         (("export", f, "--format", "py", "-o", tmp_path / "m.py"), "tui-dl export:")):
        rc, _, err = cli(*args)
        assert rc == 2, err
        assert err.startswith(prefix) and f"{f} is a YAML experiment file, not a checkpoint" in err, err
        assert f"tui-dl --batch {f}" in err and "pickled" not in err and "damaged" not in err, err
