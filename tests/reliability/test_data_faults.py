"""Damaged and missing data through ``tui-dl --batch`` end to end: exit 2, the file (or folder) named on stderr,
no traceback, and no run folder left behind. tests/core/test_data.py checks the DataError texts of the loader
one by one; here every fault goes through the CLI, the trainer's setup and the exit code, as a student meets it.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.helpers import cli, cli_subprocess, fault, no_traceback, write

NAMES = {"train-images": "train-images-idx3-ubyte", "train-labels": "train-labels-idx1-ubyte",
         "t10k-images": "t10k-images-idx3-ubyte", "t10k-labels": "t10k-labels-idx1-ubyte"}


def idx_bytes(arr: np.ndarray) -> bytes:
    magic = 2051 if arr.ndim == 3 else 2049
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def idx_folder(folder: Path, *, n_train=60, n_test=20, size=28, test_size=None, classes=10, gz=False) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels": (np.arange(n_train) % classes).astype(np.uint8),
        "t10k-images": rng.integers(0, 256, (n_test, test_size or size, test_size or size), dtype=np.uint8),
        "t10k-labels": (np.arange(n_test) % classes).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for role, arr in arrays.items():
        raw = idx_bytes(arr)
        (folder / (NAMES[role] + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    return folder


def png(path: Path, size, color=(0, 0, 0)):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def image_folder(root: Path, classes=("a", "b"), per_class=3, sizes=((28, 28),)) -> Path:
    for c in classes:
        for i in range(per_class):
            png(root / c / f"{i}.png", sizes[i % len(sizes)], (40 * i, 0, 200 if c == "a" else 0))
    return root


# ----------------------------------------------------------------------------- the faults
# each builder makes the broken data under `tmp` and returns (data section, path that must be named)


def missing_folder(tmp):
    return f"name: idx, root: {tmp / 'nowhere'}", tmp / "nowhere"


def one_file_missing(tmp):
    d = idx_folder(tmp / "d")
    (d / NAMES["t10k-labels"]).unlink()
    return f"name: idx, root: {d}", d


def truncated_idx(tmp):
    d = idx_folder(tmp / "d")
    p = d / NAMES["train-images"]
    p.write_bytes(p.read_bytes()[:1000])
    return f"name: idx, root: {d}", p


def truncated_gzip(tmp):
    d = idx_folder(tmp / "d", gz=True)
    p = d / (NAMES["train-images"] + ".gz")
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    return f"name: idx, root: {d}", p


def corrupt_gzip(tmp):
    d = idx_folder(tmp / "d", gz=True)
    p = d / (NAMES["train-labels"] + ".gz")
    raw = bytearray(p.read_bytes())
    raw[20:30] = b"x" * 10
    p.write_bytes(bytes(raw))
    return f"name: idx, root: {d}", p


def html_instead_of_gzip(tmp):
    d = idx_folder(tmp / "d", gz=True)
    p = d / (NAMES["t10k-images"] + ".gz")
    p.write_bytes(b"<!DOCTYPE html><html><body>404 Not Found</body></html>")
    return f"name: idx, root: {d}", p


def wrong_magic(tmp):
    d = idx_folder(tmp / "d")
    p = d / NAMES["train-labels"]
    raw = bytearray(p.read_bytes())
    raw[3] = 7
    p.write_bytes(bytes(raw))
    return f"name: idx, root: {d}", p


def swapped_files(tmp):
    d = idx_folder(tmp / "d")
    a, b = d / NAMES["train-images"], d / NAMES["train-labels"]
    ra, rb = a.read_bytes(), b.read_bytes()
    a.write_bytes(rb)
    b.write_bytes(ra)
    return f"name: idx, root: {d}", a


def count_mismatch(tmp):
    d = idx_folder(tmp / "d")
    labels = (np.arange(50) % 10).astype(np.uint8)
    (d / NAMES["train-labels"]).write_bytes(idx_bytes(labels))
    return f"name: idx, root: {d}", d / NAMES["train-labels"]


def mixed_image_sizes_idx(tmp):
    d = idx_folder(tmp / "d", test_size=20)
    return f"name: idx, root: {d}", d / NAMES["t10k-images"]


def label_out_of_range(tmp):
    d = idx_folder(tmp / "d", classes=12)  # labels 10 and 11 in an "MNIST" folder
    return f"name: mnist, root: {d}, download: false", d / NAMES["train-labels"]


def zero_byte_idx(tmp):
    d = idx_folder(tmp / "d")
    (d / NAMES["train-images"]).write_bytes(b"")
    return f"name: idx, root: {d}", d / NAMES["train-images"]


def zero_images_idx(tmp):
    d = idx_folder(tmp / "d", n_train=0)
    return f"name: idx, root: {d}", d


def mnist_offline(tmp):
    return f"name: mnist, root: {tmp / 'cache'}, download: false", tmp / "cache"


def empty_class_folder(tmp):
    root = image_folder(tmp / "img")
    (root / "c").mkdir()
    return f"name: image-folder, root: {root}", root / "c"


def corrupt_image(tmp):
    root = image_folder(tmp / "img")
    bad = root / "b" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    return f"name: image-folder, root: {root}", bad


def zero_byte_image(tmp):
    root = image_folder(tmp / "img")
    bad = root / "a" / "empty.jpg"
    bad.write_bytes(b"")
    return f"name: image-folder, root: {root}", bad


def one_class_only(tmp):
    root = image_folder(tmp / "img", classes=("a",))
    return f"name: image-folder, root: {root}", root


def root_is_a_file(tmp):
    f = write(tmp / "images.zip", b"PK\x03\x04 not a folder")
    return f"name: image-folder, root: {f}", f


def no_class_folders(tmp):
    root = tmp / "flat"
    png(root / "1.png", (28, 28))
    png(root / "2.png", (28, 28))
    return f"name: image-folder, root: {root}", root


def cifar_garbage_archive(tmp):
    d = tmp / "cifar"
    write(d / "cifar-10-python.tar.gz", b"garbage" * 100)
    return f"name: cifar10, root: {d}, download: false", d / "cifar-10-python.tar.gz"


FAULTS_BY_NAME = {f.__name__: f for f in (
    missing_folder, one_file_missing, truncated_idx, truncated_gzip, corrupt_gzip, html_instead_of_gzip,
    wrong_magic, swapped_files, count_mismatch, mixed_image_sizes_idx, label_out_of_range, zero_byte_idx,
    zero_images_idx, mnist_offline, empty_class_folder, corrupt_image, zero_byte_image, one_class_only,
    root_is_a_file, no_class_folders, cifar_garbage_archive)}


def experiment(data: str, input_shape="[1, 28, 28]", classes=10) -> str:
    return (f"name: data fault\ninput: {input_shape}\nlayers:\n  - {{type: Flatten}}\n"
            f"  - {{type: Linear, out_features: {classes}}}\n"
            f"data: {{{data}, val_split: 0.1}}\ntrain: {{epochs: 1, threads: 1}}\n")


@pytest.mark.parametrize("name", list(FAULTS_BY_NAME))
def test_data_fault_exits_2_naming_the_file(name, tmp_path, monkeypatch):
    import tui_dl.core.data.download as D

    def no_network(*a, **k):  # pragma: no cover - a test that reaches the network is wrong
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(D, "_urlopen", no_network)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.cache/tui-dl from this machine
    monkeypatch.setenv("TUI_DL_DATA", str(tmp_path / "home" / "data"))
    data, culprit = FAULTS_BY_NAME[name](tmp_path)
    shape, classes = ("[3, 32, 32]", 10) if "cifar" in data else ("[1, 28, 28]", 2 if "image-folder" in data
                                                                  else 10)
    f = write(tmp_path / "exp.yaml", experiment(data, shape, classes))
    fault(f"data: {name.replace('_', ' ')}")
    rc, out, err = cli("--batch", f, "--runs-dir", tmp_path / "runs")
    assert rc == 2, (out, err)
    assert str(culprit) in err, err
    assert err.startswith("tui-dl: ") and len(err.strip().splitlines()) <= 6, err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_mixed_image_sizes_in_an_image_folder_are_resized_and_train(tmp_path):
    root = image_folder(tmp_path / "img", per_class=4, sizes=((28, 28), (30, 12), (5, 50), (100, 100)))
    f = write(tmp_path / "exp.yaml", experiment(f"name: image-folder, root: {root}", classes=2))
    fault("data: mixed image sizes (image folder)")
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run", "--quiet")
    assert rc == 0, err
    assert out.startswith("completed")


def test_missing_mnist_with_fallback_trains_loudly_on_synthetic_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    data = f"name: mnist, root: {tmp_path / 'cache'}, download: false, fallback: synthetic-digits, num_samples: 200"
    f = write(tmp_path / "exp.yaml", experiment(data))
    fault("data: offline, fallback used")
    rc, out, err = cli("--batch", f, "--out", tmp_path / "run")
    assert rc == 0, err
    assert "USING THE FALLBACK DATASET: SYNTHETIC-DIGITS" in err and "NOT results on it" in err


def test_truncated_gzip_in_a_real_process(tmp_path):
    """One fault through a fresh interpreter too: stderr is exactly what a student sees."""
    data, culprit = truncated_gzip(tmp_path)
    f = write(tmp_path / "exp.yaml", experiment(data))
    fault("data: truncated gzip (subprocess)")
    r = cli_subprocess("--batch", f, "--runs-dir", tmp_path / "runs", home=tmp_path / "home")
    assert r.returncode == 2, r.stderr
    no_traceback(r.stderr + r.stdout)
    assert f"tui-dl: {culprit} is a damaged gzip file: it ends too early" in r.stderr


def test_a_gzip_bomb_posing_as_an_idx_file_is_refused_without_unpacking_it(tmp_path):
    """A train-images .gz whose header declares 600 images but which unpacks to 200 MB: the reader stops one byte
    past what the header allows (it used to unpack everything first: 3.6 GB for the attack suite's bomb)."""
    import gzip as _gzip
    import subprocess
    import sys

    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    with _gzip.open(bomb, "wb", compresslevel=1) as f:
        f.write((2051).to_bytes(4, "big") + (600).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2)
        chunk = bytes(1 << 20)
        for _ in range(200):
            f.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    code = ("import resource, sys, pathlib\n"
            "from tui_dl.core.data.idx import _read_idx\n"
            "from tui_dl.core.data.base import DataError\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "try:\n    _read_idx(pathlib.Path(sys.argv[1]), 'images')\nexcept DataError as e:\n    print(e)\n"
            "print('grew_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    r = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "longer than its header (600 images of 28×28 pixels)" in r.stdout, r.stdout
    grew_mb = int(r.stdout.split("grew_kb")[1]) / 1024
    assert grew_mb < 50, f"the reader's peak memory grew by {grew_mb:.0f} MB"


def test_a_header_declaring_more_than_the_machine_holds_is_refused_before_allocating(tmp_path):
    big = tmp_path / "train-images-idx3-ubyte"
    big.write_bytes((2051).to_bytes(4, "big") + (2**31).to_bytes(4, "big") + (4096).to_bytes(4, "big") * 2)
    from tui_dl.core.data.base import DataError
    from tui_dl.core.data.idx import _read_idx
    with pytest.raises(DataError, match="more than half of this machine's memory"):
        _read_idx(big, "images")
