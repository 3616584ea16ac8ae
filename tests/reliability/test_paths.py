"""Paths that are not what they seem (issue 21, class 5): a data.root that is a file, ~user that names no user.
Each is an error that names the path and says what to write, with exit code 2 and no traceback."""

from __future__ import annotations

import pytest

from tests.test_batch_cli import batch, write
from tui_dl.core.data import DataError, load_dataset
from tui_dl.core.paths import PathProblem, expand_user

NO_USER = "~tui-dl-no-such-user-42"


def test_expand_user_names_the_user_that_does_not_exist():
    with pytest.raises(PathProblem) as e:
        expand_user(f"{NO_USER}/data")
    assert "tui-dl-no-such-user-42" in str(e.value) and "full path" in str(e.value)
    assert isinstance(e.value, OSError)
    assert str(expand_user("~/x")).endswith("/x") and "~" not in str(expand_user("~/x"))


@pytest.mark.parametrize("name", ["fashion-mnist", "mnist", "cifar10", "idx", "image-folder"])
def test_a_root_that_is_a_file_is_an_error_not_a_silent_swap(tmp_path, name):
    """fashion-mnist used to fall back to the system copy in /usr/share/datasets and train on it, exit 0."""
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    with pytest.raises(DataError) as e:
        load_dataset(name, root=str(f), download=False)
    assert str(f) in str(e.value) and ("is a file" in str(e.value) or "not a folder" in str(e.value))


@pytest.mark.parametrize("name", ["fashion-mnist", "idx"])
def test_a_root_under_an_unknown_user_is_an_error(name):
    with pytest.raises(DataError) as e:
        load_dataset(name, root=f"{NO_USER}/datasets", download=False)
    assert "tui-dl-no-such-user-42" in str(e.value) and "data.root" in str(e.value)


def test_batch_with_unknown_user_paths_exits_2_naming_them(tmp_path):
    exp = write(tmp_path)
    for args, says in ((["--out", f"{NO_USER}/run"], "--out"),
                       (["--resume", f"{NO_USER}/run"], "tui-dl-no-such-user-42"),
                       (["--runs-dir", f"{NO_USER}/runs"], "tui-dl-no-such-user-42"),
                       (["--set", f"data.root={NO_USER}/d", "--set", "data.name=idx"], "tui-dl-no-such-user-42")):
        r = batch(exp, *args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
