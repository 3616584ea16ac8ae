"""One writer per run folder: the lock refuses a second holder, names the first, and never goes stale."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tui_dl.core.runs.lock import LOCK_NAME, RunFolderBusy, RunLock, holder


def test_second_holder_is_refused_with_a_message_naming_the_first(tmp_path):
    with RunLock(tmp_path) as first:
        assert first.held and holder(tmp_path)["pid"] == os.getpid()
        with pytest.raises(RunFolderBusy) as e:
            RunLock(tmp_path).acquire()
        msg = str(e.value)
        assert str(tmp_path) in msg and f"process {os.getpid()}" in msg and "another --out" in msg
    assert not (tmp_path / LOCK_NAME).exists()  # released: the file goes with it
    with RunLock(tmp_path):  # and the folder can be taken again
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    code = ("import sys, time; from tui_dl.core.runs.lock import RunLock; RunLock(sys.argv[1]).acquire(); "
            "print('held', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderBusy, match=f"process {child.pid}"):
            RunLock(tmp_path).acquire()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert (tmp_path / LOCK_NAME).exists()  # the file is left behind, but nobody holds it
    lock = RunLock(tmp_path).acquire()
    assert holder(tmp_path)["pid"] == os.getpid()
    lock.release()


def test_acquire_creates_the_folder_and_release_is_idempotent(tmp_path):
    lock = RunLock(tmp_path / "new" / "run")
    lock.acquire()
    assert (tmp_path / "new" / "run" / LOCK_NAME).is_file()
    lock.release()
    lock.release()
    assert not lock.held
