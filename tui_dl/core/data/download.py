"""Downloading a dataset file from its mirrors, checking its md5 sum; no prints, a timeout per connection."""

from __future__ import annotations

import hashlib
import http.client
import os
import pathlib
import time
import urllib.request
from typing import Sequence

from tui_dl.core.data.base import Progress, _report
from tui_dl.core.i18n import _

_DOWNLOAD_TIMEOUT_S = 20.0

# urlopen is looked up through the module so tests can forbid or fake network access.
_urlopen = urllib.request.urlopen


#: Seconds between two progress reports of one download (the last one, at 100 %, always comes).
PROGRESS_EVERY_S = 0.2


class _DownloadFailed(Exception):
    pass


class DownloadMessage(str):
    """A progress message that reports a download: the text the user reads (translated), plus ``label``, the
    file being downloaded. The progress callback's signature is unchanged (``progress(message, fraction)``);
    a caller that shows only downloads tells them apart with :func:`is_download`, not by their words."""

    label: str

    def __new__(cls, text: str, label: str = "") -> "DownloadMessage":
        obj = super().__new__(cls, text)
        obj.label = label
        return obj


def is_download(message: str) -> bool:
    """Whether a progress message reports a download, in any language: a :class:`DownloadMessage` (what the
    loader sends), or a plain English ``Downloading …`` string (older callers, tests)."""
    return isinstance(message, DownloadMessage) or str(message).startswith("Downloading")


def download_line(label: str, done: int, total: int, seconds: float) -> DownloadMessage:
    """``Downloading train-images: 45% of 26.4 MB, 3.1 MB/s`` (``12.0 MB, 3.1 MB/s`` when the size is unknown)."""
    mb = 1e6
    speed = f"{done / mb / seconds:.1f} MB/s" if seconds > 0 else "… MB/s"
    if total:
        text = _("Downloading {label}: {percent}% of {size} MB, {speed}").format(
            label=label, percent=min(100, int(100 * done / total)), size=f"{total / mb:.1f}", speed=speed)
    else:
        text = _("Downloading {label}: {size} MB, {speed}").format(label=label, size=f"{done / mb:.1f}", speed=speed)
    return DownloadMessage(text, label)


def _download_any(mirrors: Sequence[str], fname: str, dest: pathlib.Path, md5: str,
                  progress: Progress | None, label: str) -> None:
    errors = []
    for mirror in mirrors:
        url = mirror + fname
        try:
            _download(url, dest, md5, progress, label)
            return
        except (OSError, http.client.HTTPException, ValueError) as e:
            text = str(getattr(e, "reason", None) or e)
            errors.append(f"{url}: {text[:200]}")
    raise _DownloadFailed("; ".join(errors))


def _download(url: str, dest: pathlib.Path, md5: str, progress: Progress | None, label: str) -> None:
    """Download ``url`` to ``dest`` (via dest.part), checking the md5; no prints, no global timeout."""
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    done = 0
    _report(progress, DownloadMessage(_("Downloading {label}").format(label=label), label), None)
    request = urllib.request.Request(url, headers={"User-Agent": "tui-dl"})
    try:
        with _urlopen(request, timeout=_DOWNLOAD_TIMEOUT_S) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) if response.headers else 0
            t0 = last = time.monotonic()
            while True:
                chunk = response.read(1 << 16)
                now = time.monotonic()
                if not chunk or now - last >= PROGRESS_EVERY_S:
                    last = now
                    _report(progress, download_line(label, done + len(chunk), total, now - t0),
                            min((done + len(chunk)) / total, 1.0) if total else None)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
        if md5 and digest.hexdigest() != md5:
            raise ValueError(_("checksum mismatch (got md5 {got}, expected {expected})").format(
                got=digest.hexdigest(), expected=md5))
        os.replace(part, dest)
    finally:
        if part.exists():
            try:
                part.unlink()
            except OSError:
                pass
