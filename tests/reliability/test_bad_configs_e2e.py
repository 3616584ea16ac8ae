"""Broken experiment files end to end: ``tui-dl --batch`` in a real interpreter exits 2 with file:line and the
field on stderr (never a traceback, never a run folder), and the app shows the same problems inline.

These subprocesses never import torch (the config is refused first), so each costs ~0.2 s.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.reliability.helpers import cli, cli_subprocess, fault, moons_yaml, no_traceback, write

OK_HEAD = "name: broken\ninput: [2]\nlayers:\n  - {type: Linear, out_features: 2}\ndata: {name: moons}\n"

BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9 if i else ['"lol"'] * 9) + "]\n"
               for i in range(9))

# name -> (file content, expected "file:line" suffix, words that must appear on stderr)
BROKEN: dict[str, tuple[str | bytes, str, tuple[str, ...]]] = {
    "tab": ("name: x\ninput: [2]\nlayers:\n\t- {type: ReLU}\n", ":4:1", ("tab", "spaces")),
    "yaml bomb": (BOMB, ":9", ("YAML bomb",)),
    "deep nesting": ("x: " + "[" * 100 + "]" * 100 + "\n", ":1", ("nested more than",)),
    "non-UTF-8": (b"name: caf\xe9\ninput: [2]\n", ":1", ("not UTF-8",)),
    "unknown optimizer": (OK_HEAD + "train:\n  optimizer: {name: adamm, lr: 0.01}\n", ":7:",
                          ("train.optimizer.name", "did you mean 'adam'")),
    "on/off in a number field": (OK_HEAD + "train: {epochs: on}\n", ":6:", ("train.epochs", "yes/no/on/off")),
    "misspelt layer": ("name: x\ninput: [1, 28, 28]\nlayers:\n  - {type: Flaten}\n", ":4:",
                       ("layers[0].type", "Did you mean 'Flatten'")),
    "misspelt field": ("name: x\ninput: [1, 28, 28]\nlayers:\n  - {type: Conv2d, out_channels: 6, kernal_size: 5}\n",
                       ":4:", ("kernal_size", "kernel_size")),
    "negative epochs": (OK_HEAD + "train:\n  epochs: -3\n", ":7:", ("train.epochs", "at least")),
    "python tag": ("name: x\ninput: [2]\nlayers: !!python/object/apply:os.system ['echo pwned']\n", ":3:",
                   ("not allowed",)),
    "unclosed bracket": ("name: x\ninput: [2\nlayers: []\n", ":", ("YAML syntax error",)),
    "empty file": ("", ":1", ("empty",)),
    "lr as text": (OK_HEAD + "train: {optimizer: {name: sgd, lr: fast}}\n", ":6:",
                   ("train.optimizer.lr", "expected a number")),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_file_exits_2_with_file_line_and_field(case, tmp_path):
    content, where, words = BROKEN[case]
    f = write(tmp_path / "exp.yaml", content)
    fault("config: broken file through --batch")
    r = cli_subprocess("--batch", f, "--runs-dir", tmp_path / "runs", timeout=60)
    assert r.returncode == 2, (r.stdout, r.stderr)
    no_traceback(r.stderr + r.stdout)
    first = r.stderr.strip().splitlines()[0]
    assert first.startswith(f"tui-dl: {f}{where}"), first
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert not (tmp_path / "runs").exists(), "a run folder was created for a file that cannot run"


@pytest.mark.parametrize("setting,words", [
    ("train.epochs", ("expected key.path=value",)),
    ("layers[99].kernel_size=3", ("layers[99]", "no such entry")),
    ("train.batch_size=-4", ("train.batch_size", "at least 1")),
    ("nonsense.key=1", ("nonsense", "unknown section")),
])
def test_bad_set_override_exits_2(setting, words, tmp_path):
    f = write(tmp_path / "exp.yaml", moons_yaml())
    fault("config: bad --set override")
    r = cli_subprocess("--batch", f, "--set", setting, "--runs-dir", tmp_path / "runs", timeout=60)
    assert r.returncode == 2, r.stderr
    no_traceback(r.stderr)
    for w in words:
        assert w in r.stderr


def test_a_bad_set_value_does_not_point_at_the_line_it_replaced(tmp_path):
    f = write(tmp_path / "exp.yaml", moons_yaml())
    fault("config: bad --set value")
    r = cli_subprocess("--batch", f, "--set", "train.optimizer.lr=abc", timeout=60)
    assert r.returncode == 2, r.stderr
    no_traceback(r.stderr)
    assert r.stderr.startswith(f"tui-dl: {f}: train.optimizer.lr: expected a number, got 'abc'"), r.stderr


def test_missing_file_and_folder_instead_of_file(tmp_path):
    for target, words in ((tmp_path / "nope.yaml", "no such file"), (tmp_path, "this is a folder")):
        fault("config: missing file / folder given")
        r = cli_subprocess("--batch", target, timeout=60)
        assert r.returncode == 2 and words in r.stderr, r.stderr
        no_traceback(r.stderr)


def test_1e3_learning_rate_and_quoted_numbers_are_fine(tmp_path):
    """The YAML 1.1 trap the other way round: `lr: 1e-3` is a number here (PyYAML alone reads a string)."""
    from tui_dl.core.config.experiment import load_experiment

    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1, optimizer: {name: sgd, lr: 1e-3}", num_samples=100))
    exp = load_experiment(f)
    lr = exp.to_dict()["train"]["optimizer"]["lr"]
    assert isinstance(lr, float) and lr == 0.001
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run", "--quiet")
    assert rc == 0, err
    assert out.startswith("completed")


# ----------------------------------------------------------------------------- the app


def test_app_opened_on_a_broken_file_shows_it_inline_and_keeps_running(tmp_path):
    """``make_app(path=broken)``, then opening more broken files (incl. a .pt holding a pickled object that
    would create a file if it were ever unpickled): each shows an inline error naming the file; nothing
    crashes, nothing runs, and the broken file is never made the save target."""
    import torch

    from tui_dl.app import make_app

    bomb = write(tmp_path / "bomb.yaml", BOMB)
    latin1 = write(tmp_path / "latin1.yaml", b"name: caf\xe9\ninput: [2]\n")
    marker = tmp_path / "PWNED"
    evil = tmp_path / "last.pt"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    torch.save({"format": "tui-dl-checkpoint", "payload": Evil()}, evil)
    before = bomb.read_bytes()

    async def body():
        app = make_app(path=bomb, runs_dir=str(tmp_path / "runs"), device_text="CPU (test)", datasets={})
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            banner = app.query_one("#problems-banner")
            assert banner.display
            text = str(banner.render())
            assert f"{bomb}:9" in text and "YAML bomb" in text, text
            assert app.document.path is None  # ctrl+s must not target the broken file
            # the .pt is read as a checkpoint (on a worker thread) and refused by the safe loader
            for path, words in ((latin1, "not UTF-8"), (evil, "unsafe: it holds pickled Python objects")):
                fault("config: broken file opened in the app")
                app.open_path(str(path))
                for _ in range(400):
                    await pilot.pause(0.05)
                    text = str(app.query_one("#problems-banner").render())
                    if f"Could not open {path}" in text:
                        break
                assert str(path) in text and words in text, text
                assert app.is_running
            await pilot.press("escape")
            await pilot.pause()
        return app

    fault("config: broken file opened in the app")
    app = asyncio.run(body())
    assert app.return_code in (0, None)
    assert not marker.exists(), "the pickled object in the .pt file was executed"
    assert bomb.read_bytes() == before


def test_app_command_line_with_a_broken_file_exits_cleanly(tmp_path):
    """``tui-dl broken.yaml`` goes through run_app: the problems are passed in as load_error (checked by the UI
    tests); here only that the entry point itself never raises for a file it cannot read."""
    from tui_dl.app import make_app
    from tui_dl.core.config.experiment import ConfigError, load_experiment

    f = write(tmp_path / "x.yaml", b"\x00\x01\x02 binary junk \xff")
    with pytest.raises(ConfigError) as info:
        load_experiment(f)
    fault("config: binary junk")
    app = make_app(None, None, runs_dir=str(tmp_path / "runs"), load_error=info.value, device_text="CPU",
                   datasets={})

    async def body():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert str(f) in str(app.query_one("#problems-banner").render())

    asyncio.run(body())
