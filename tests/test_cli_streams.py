"""The command line on streams that are not a UTF-8 terminal: a reader that goes away (`| head`), encodings that
can't write tui-dl's characters, and no terminal at all for the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.test_batch_cli import write
from tui_dl.cli.streams import ascii_fallback, ERRORS

ROOT = Path(__file__).resolve().parents[1]


def run(args, *, env=None, **kw):
    env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    kw.setdefault("text", True)
    return subprocess.run([sys.executable, "-m", "tui_dl", *map(str, args)], capture_output=True, cwd=ROOT,
                          env=env, timeout=180, **kw)


def cli(args, capsys):
    """``tui-dl ARGS`` in this process (no torch import to wait for): the --out rules need no subprocess."""
    from types import SimpleNamespace

    from tui_dl.cli.main import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)


def test_the_fallback_writes_look_alikes_and_question_marks():
    assert "⌊(28+2·2−5)/1⌋+1 × 6 ─┼─ ✓ → ✗ 名".encode("ascii", ERRORS) == \
        b"floor((28+2.2-5)/1)+1 x 6 -+- ok -> x ?"
    assert "naïve × ⌊".encode("cp1252", ERRORS) == "naïve × floor(".encode("cp1252")  # what it can write stays
    err = UnicodeDecodeError("ascii", b"\xff", 0, 1, "bad")
    try:
        ascii_fallback(err)
    except UnicodeDecodeError:
        pass
    else:
        raise AssertionError("a decode error must not be swallowed")


def test_batch_piped_into_head_still_finishes_the_run(tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "NO_COLOR": "1"}
    p = subprocess.Popen([sys.executable, "-m", "tui_dl", "--batch", str(write(tmp_path)), "--out", str(out)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()  # `| head -1`: one line, then the reader is gone
    p.stdout.close()
    _, err = p.communicate(timeout=180)
    assert first  # it did print before the pipe closed
    assert p.returncode == 0, err.decode()
    assert b"Traceback" not in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["test_accuracy"] is not None, summary
    epochs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs if e["event"] == "epoch"] == [1, 2]
    assert (out / "last.pt").is_file() and (out / "best.pt").is_file()


def test_summary_on_a_cp1252_or_ascii_stdout_degrades_to_ascii(tmp_path):
    for enc in ("cp1252", "ascii"):
        r = run(["summary", "presets/lenet5.yaml"], env={"PYTHONIOENCODING": enc}, encoding=enc)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        assert "floor(" in r.stdout and "Conv2d" in r.stdout
        r.stdout.encode(enc)  # everything printed is really in that encoding


def test_batch_on_an_ascii_stdout_prints_its_progress_and_result(tmp_path):
    r = run(["--batch", write(tmp_path), "--out", tmp_path / "run"], env={"PYTHONIOENCODING": "ascii"},
            encoding="ascii")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr
    assert "test accuracy" in r.stdout
    r.stdout.encode("ascii")


def test_the_app_without_a_terminal_says_so_and_exits_2(tmp_path):
    r = run(["presets/lenet5.yaml"], stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert "no terminal" in r.stderr and "--batch" in r.stderr
    assert r.stdout == ""  # no escape codes written


# ----------------------------------------------------------------------------- --out onto a used folder


def test_out_onto_a_finished_run_is_refused_and_leaves_it_untouched(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["--batch", write(tmp_path), "--out", out], capsys).returncode == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    r = cli(["--batch", write(tmp_path), "--out", out], capsys)
    assert r.returncode == 2
    assert f"--out {out} already holds a run" in r.stderr and "--resume" in r.stderr and "--overwrite" in r.stderr
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before


def test_overwrite_replaces_the_run_with_one_whole_new_one(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli(["--batch", write(tmp_path), "--out", out], capsys).returncode == 0
    r = cli(["--batch", write(tmp_path), "--out", out, "--overwrite"], capsys)
    assert r.returncode == 0, r.stderr
    events = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events].count("started") == 1
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    rows = (out / "metrics.csv").read_text().splitlines()
    assert len(rows) == 3  # a header and two epochs, not 1,2,1,2


def test_out_onto_a_folder_of_other_files_is_refused_even_with_overwrite(tmp_path, capsys):
    out = tmp_path / "notes"
    out.mkdir()
    (out / "thesis.tex").write_text("keep me")
    for extra in ([], ["--overwrite"]):
        r = cli(["--batch", write(tmp_path), "--out", out, *extra], capsys)
        assert r.returncode == 2 and "holds no run" in r.stderr
    (out / "config.yaml").write_text("name: x")  # looks like a run, but holds a stranger's file
    r = cli(["--batch", write(tmp_path), "--out", out, "--overwrite"], capsys)
    assert r.returncode == 2 and "not part of a run (thesis.tex)" in r.stderr
    assert (out / "thesis.tex").read_text() == "keep me"


def test_out_into_an_empty_or_new_folder_just_works(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        r = cli(["--batch", write(tmp_path), "--out", out, "--quiet"], capsys)
        assert r.returncode == 0, r.stderr
        assert (out / "summary.json").is_file()


def _hold_lock(folder):
    """A child process that holds ``folder``'s run lock until killed (as a training run in progress would)."""
    code = ("import sys, time; from tui_dl.core.runs.lock import RunLock; RunLock(sys.argv[1]).acquire(); "
            "print('held', flush=True); time.sleep(120)")
    child = subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_two_runs_cannot_write_one_folder(tmp_path, capsys):
    """--resume into a folder another process is training into is refused before any file is touched."""
    out = tmp_path / "run"
    assert cli(["--batch", write(tmp_path), "--out", out], capsys).returncode == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    child = _hold_lock(out)
    try:
        for extra in (["--resume", str(out), "--epochs", "3"], ["--overwrite"]):
            r = cli(["--batch", write(tmp_path), "--out", out, *extra], capsys)
            assert r.returncode == 2, r.stderr
            assert f"the run folder {out} is in use: process {child.pid}" in r.stderr
            assert "Traceback" not in r.stderr
            now = {f.name: f.read_bytes() for f in out.iterdir() if f.name != ".tui-dl.lock"}
            assert now == before
    finally:
        child.kill()
        child.wait(10)
    r = cli(["--batch", write(tmp_path), "--out", out, "--resume", str(out), "--epochs", "3", "--quiet"], capsys)
    assert r.returncode == 0, r.stderr  # the holder is gone: no stale lock is left behind
    assert not (out / ".tui-dl.lock").exists()
