"""The dataset downloader's progress: percent, MB and speed, shown by --batch as one rewritten line on a
terminal and as plain lines in a pipe (issue 17, item 6). No network: a fake opener and a file:// URL."""

from __future__ import annotations

import hashlib
import io
import urllib.request

import pytest

import tui_dl.core.data.download as download
from tui_dl.cli.batch import DataProgress, _Printer


class _Response:
    def __init__(self, data: bytes, length=True):
        self.buf = io.BytesIO(data)
        self.headers = {"Content-Length": str(len(data))} if length else {}

    def read(self, n):
        return self.buf.read(n)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _fetch(monkeypatch, tmp_path, data: bytes, length=True):
    monkeypatch.setattr(download, "_urlopen", lambda req, timeout=None: _Response(data, length))
    monkeypatch.setattr(download, "PROGRESS_EVERY_S", 0.0)  # every chunk reports
    calls = []
    download._download("https://example.invalid/f.gz", tmp_path / "f.gz", hashlib.md5(data).hexdigest(),
                       lambda m, f: calls.append((m, f)), "train-images")
    return calls


def test_progress_says_percent_size_and_speed(monkeypatch, tmp_path):
    data = bytes(range(256)) * 1200  # 307,200 bytes: 5 chunks of 64 KiB
    calls = _fetch(monkeypatch, tmp_path, data)
    assert calls[0] == ("Downloading train-images", None)
    last_msg, last_f = calls[-1]
    assert last_f == 1.0 and last_msg.startswith("Downloading train-images: 100% of 0.3 MB, ")
    assert last_msg.endswith(" MB/s")
    assert [f for _, f in calls[1:]] == sorted(f for _, f in calls[1:]) and len(calls) >= 5
    assert (tmp_path / "f.gz").read_bytes() == data


def test_without_a_length_the_mb_so_far(monkeypatch, tmp_path):
    calls = _fetch(monkeypatch, tmp_path, b"x" * 200_000, length=False)
    assert calls[-1][0].startswith("Downloading train-images: 0.2 MB, ") and calls[-1][1] is None


def test_a_file_url_reports_progress_too(tmp_path, monkeypatch):
    src = tmp_path / "src.bin"
    src.write_bytes(b"y" * 100_000)
    monkeypatch.setattr(download, "_urlopen", urllib.request.urlopen)
    calls = []
    download._download(src.as_uri(), tmp_path / "out.bin", "", lambda m, f: calls.append((m, f)), "t10k")
    assert calls[-1][0].startswith("Downloading t10k: 100% of 0.1 MB")


class _Stream(io.StringIO):
    def __init__(self, tty):
        super().__init__()
        self._tty = tty

    def isatty(self):
        return self._tty


def _feed(tty: bool):
    out = _Stream(tty)
    show = DataProgress(_Printer(out, quiet=False, color=False))
    show("Reading train-images-idx3-ubyte.gz", 0.5)  # not a download: not shown
    show("Downloading train-images", None)
    for pct in range(0, 101, 5):
        show(f"Downloading train-images: {pct}% of 26.4 MB, 3.1 MB/s", pct / 100)
    return out.getvalue()


def test_batch_shows_one_rewritten_line_on_a_terminal_and_plain_lines_in_a_pipe():
    tty = _feed(True)
    assert tty.count("\r") == 22 and "\n" not in tty and "Reading" not in tty
    assert tty.rstrip("\x1b[K").endswith("100% of 26.4 MB, 3.1 MB/s")
    piped = _feed(False).splitlines()
    assert "\r" not in "".join(piped)
    assert piped == ["Downloading train-images"] + [f"Downloading train-images: {p}% of 26.4 MB, 3.1 MB/s"
                                                    for p in (0, 25, 50, 75, 100)]


@pytest.mark.parametrize("quiet", [True])
def test_quiet_shows_no_progress(quiet):
    out = _Stream(False)
    DataProgress(_Printer(out, quiet=quiet, color=False))("Downloading x: 5% of 1.0 MB, 1.0 MB/s", 0.05)
    assert out.getvalue() == ""
