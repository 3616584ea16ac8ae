"""The disk fills (or a quota is reached) at every write a run makes: config.yaml, the initial checkpoint, an
epoch's last.pt and best.pt, the epoch row of the metrics, summary.json, and inside torch's own zip writer
(which turns the OSError into ``RuntimeError: [enforce fail at inline_container.cc] unexpected pos``).

Each ends the same way: exit 2, one line naming the file and the reason, the previous checkpoint kept, and the
command that continues; ``--resume`` then finishes the run with no epoch missing. The faults are injected at
``os.fsync`` (every atomic write and every durable metrics row passes there) or at ``torch.save``; one test
fills a real 4 MB tmpfs when this machine lets us mount one.
"""

from __future__ import annotations

import errno
import os
import subprocess

import pytest

from tests.reliability.helpers import checkpoint_ok, cli, cli_subprocess, fault, moons_yaml, no_traceback, write
from tests.reliability.test_kill_resume import epochs_in

TORCH_FULL = "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534"


def fd_name(fd: int) -> str:
    try:
        return os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return ""


def fail_fsync(monkeypatch, name: str, on_call: int, err: int) -> dict:
    """``os.fsync`` of a file whose name contains ``name`` fails with ``err`` on its on_call-th time."""
    real, state = os.fsync, {"calls": 0}

    def fsync(fd):
        if name in fd_name(fd):
            state["calls"] += 1
            if state["calls"] == on_call:
                raise OSError(err, os.strerror(err))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return state


def fail_torch_save(monkeypatch, name: str, on_call: int, free: int) -> None:
    """torch.save into ``.<name>.tmp-*`` raises torch's zip-writer error; statvfs reports ``free`` bytes."""
    import tui_dl.core.runs.checkpoint as C

    real_save, real_statvfs, state = C.torch.save, os.statvfs, {"calls": 0}

    def save(obj, f, *a, **k):
        if os.path.basename(getattr(f, "name", str(f))).startswith(f".{name}.tmp-"):
            state["calls"] += 1
            if state["calls"] == on_call:
                f.write(b"PK\x03\x04 half")
                raise RuntimeError(TORCH_FULL)
        return real_save(obj, f, *a, **k)

    class Vfs:
        def __init__(self, st):
            self.f_frsize, self.f_bavail = st.f_frsize, free // st.f_frsize

    monkeypatch.setattr(C.torch, "save", save)
    monkeypatch.setattr(os, "statvfs", lambda p: Vfs(real_statvfs(p)))


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    return write(tmp_path_factory.mktemp("diskfull") / "exp.yaml", moons_yaml("epochs: 2, log_every: 5"))


# (file, which write of it fails, what the line says, whether a checkpoint is kept to resume from)
POINTS = [
    ("config.yaml", 1, "cannot write the run folder", False),
    ("last.pt", 1, "cannot write the run folder", False),        # the initial weights: nothing to resume yet
    ("last.pt", 2, "could not write {run}/last.pt", True),        # epoch 1
    ("best.pt", 2, "could not write {run}/best.pt", True),        # epoch 2
    ("metrics.jsonl", 1, "could not write to {run}/metrics.jsonl", True),  # epoch 1's row, made durable
    ("summary.json", 1, "could not write {run}/summary.json", True),
]
ERRNOS = {"ENOSPC": (errno.ENOSPC, "Free some disk space"), "EDQUOT": (errno.EDQUOT, "Free some disk space"),
          "EROFS": (errno.EROFS, "Fix that")}


def check_stopped(rc, err, run, says, resumable, advice):
    assert rc == 2, err
    lines = [x for x in err.splitlines() if x.startswith("tui-dl:")]
    assert len(lines) == 1, err
    line = lines[0]
    assert says.format(run=run) in line and advice in line, line
    assert not [p.name for p in run.iterdir() if ".tmp-" in p.name], "a temp file was left behind"
    if resumable:
        assert "The previous checkpoint is kept." in line and f"continue with: tui-dl --batch --resume {run}" in line
        checkpoint_ok(run)
    else:
        assert "then start the run again" in line


def resume_finishes(run) -> None:
    rc, out, err = cli("--batch", "--resume", run, "--quiet")
    assert rc == 0 and out.startswith("completed"), err
    assert epochs_in(run) == ([1, 2], [1, 2])


# ENOSPC at every point; EDQUOT (the same path) at three of them
CASES = [(*p, "ENOSPC") for p in POINTS] + [(*p, "EDQUOT") for p in POINTS if p[0] in ("last.pt", "summary.json")]


@pytest.mark.parametrize("name, on_call, says, resumable, err", CASES, ids=[f"{c[4]}-{c[0]}#{c[1]}" for c in CASES])
def test_a_full_disk_at_any_write_is_one_line_exit_2_and_resume_finishes(name, on_call, says, resumable, err, exp,
                                                                          tmp_path, monkeypatch):
    code, advice = ERRNOS[err]
    run = tmp_path / "run"
    fail_fsync(monkeypatch, name, on_call, code)
    fault(f"disk full ({err}): writing {name} #{on_call}")
    rc, _, err_text = cli("--batch", exp, "--out", run)
    check_stopped(rc, err_text, run, says, resumable, advice)
    monkeypatch.undo()
    if resumable:
        resume_finishes(run)


def test_a_read_only_disk_says_what_is_wrong_not_to_free_space(exp, tmp_path, monkeypatch):
    run = tmp_path / "run"
    fail_fsync(monkeypatch, "last.pt", 2, errno.EROFS)
    rc, _, err = cli("--batch", exp, "--out", run)
    check_stopped(rc, err, run, "could not write {run}/last.pt: Read-only file system", True, "Fix that")


@pytest.mark.parametrize("name, on_call", [("last.pt", 1), ("last.pt", 2), ("best.pt", 1)])
def test_torch_zip_writer_failing_on_a_full_disk_is_not_a_traceback(name, on_call, exp, tmp_path, monkeypatch):
    run = tmp_path / "run"
    fail_torch_save(monkeypatch, name, on_call, free=4096)
    fault(f"disk full inside torch's zip writer: {name} #{on_call}")
    rc, _, err = cli("--batch", exp, "--out", run)
    resumable = (name, on_call) != ("last.pt", 1)
    check_stopped(rc, err, run, f"{name}" + ("" if resumable else ")") + ": No space left on device", resumable,
                  "Free some disk space")
    monkeypatch.undo()
    if resumable:
        resume_finishes(run)


def test_torch_zip_writer_failing_with_room_left_says_torch_could_not_write(exp, tmp_path, monkeypatch):
    run = tmp_path / "run"
    fail_torch_save(monkeypatch, "last.pt", 2, free=10 * 2**30)
    rc, _, err = cli("--batch", exp, "--out", run)
    check_stopped(rc, err, run, "last.pt: torch could not write the file ([enforce fail", True, "Fix that")


# ----------------------------------------------------------------------------- a real full disk

BIG = moons_yaml("epochs: 2, log_every: 5", name="wide").replace(
    "  - {type: Linear, out_features: 16}\n", "  - {type: Linear, out_features: 256}\n"
                                             "  - {type: Linear, out_features: 256}\n")  # ~0.8 MB checkpoints


@pytest.fixture
def tmpfs(tmp_path):
    d = tmp_path / "small-disk"
    d.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(d)], capture_output=True,
                           text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True, timeout=10)


def fill(disk, leave: int):
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def test_a_real_full_disk_keeps_the_checkpoint_and_resume_finishes(tmpfs, tmp_path):
    f = write(tmp_path / "wide.yaml", BIG)
    probe = tmp_path / "probe"
    rc, _, err = cli("--batch", f, "--out", probe, "--quiet", "--set", "train.epochs=1")
    assert rc == 0, err
    size = (probe / "last.pt").stat().st_size
    run = tmpfs / "run"
    fill(tmpfs, leave=int(size * 1.6))  # room for the initial weights, not for epoch 1's best.pt beside them
    fault("disk full for real (tmpfs)")
    rc, _, err = cli("--batch", f, "--out", run)
    check_stopped(rc, err, run, "could not write {run}/", True, "Free some disk space")
    assert "No space left on device" in err
    (tmpfs / "filler").unlink()
    resume_finishes(run)


def test_a_disk_full_before_the_first_step_is_exit_2_cannot_write_the_run_folder(tmpfs, tmp_path):
    """In a real process (the interpreter's own stderr: no traceback), on a disk with no byte left."""
    f = write(tmp_path / "exp.yaml", moons_yaml("epochs: 1"))
    fill(tmpfs, leave=0)
    r = cli_subprocess("--batch", f, "--out", tmpfs / "run", timeout=120)
    no_traceback(r.stderr)
    assert r.returncode == 2 and "cannot write the run folder" in r.stderr, r.stderr
    assert "No space left on device" in r.stderr, r.stderr
    assert len([x for x in r.stderr.splitlines() if x.startswith("tui-dl:")]) == 1, r.stderr
