"""Tests for tui_dl.core.data. No network: every test either uses download=False or replaces
tui_dl.core.data.download._urlopen (a test fixture makes any real network attempt fail loudly)."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pathlib
import struct
import subprocess
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from tui_dl.core import data
from tui_dl.core.data import base, cifar, download
from tui_dl.core.data import DataError, load_dataset, normalize_batch


# --------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The data code is mostly small tensor ops; on a busy 2-core machine two OpenMP threads spin and
    make it several times slower, one thread is steady."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any download attempt that a test did not fake explicitly fails the test."""

    def forbidden(*args, **kwargs):  # pragma: no cover - only runs when a test is wrong
        raise AssertionError("test tried to use the network")

    monkeypatch.setattr(download, "_urlopen", forbidden)
    # keep the real Fashion-MNIST of the Debian package out of unrelated tests
    monkeypatch.setitem(base._DATASETS, "fashion-mnist",
                        dataclasses.replace(base._DATASETS["fashion-mnist"], system_dirs=()))


def idx_bytes(arr: np.ndarray) -> bytes:
    magic = 2051 if arr.ndim == 3 else 2049
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def write_idx(path: pathlib.Path, arr: np.ndarray, gz: bool = False) -> pathlib.Path:
    raw = idx_bytes(np.ascontiguousarray(arr, dtype=np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def idx_name(role: str, style: str, gz: bool) -> str:
    ndim = 3 if role.endswith("images") else 1
    name = f"{role}-idx{ndim}-ubyte" if style == "dash" else f"{role}.idx{ndim}-ubyte"
    return name + (".gz" if gz else "")


def make_idx_folder(folder: pathlib.Path, *, n_train=60, n_test=20, gz=False, style="dash", seed=0,
                    size=28, n_classes=10):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels": (np.arange(n_train) % n_classes).astype(np.uint8),
        "t10k-images": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        "t10k-labels": (np.arange(n_test)[::-1] % n_classes).astype(np.uint8),
    }
    paths = {role: write_idx(folder / idx_name(role, style, gz), arr, gz) for role, arr in arrays.items()}
    return arrays, paths


# --------------------------------------------------------------------------- IDX: happy paths


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("style", ["dash", "dot"])
def test_idx_files_directly_in_root(tmp_path, gz, style):
    arrays, _ = make_idx_folder(tmp_path, gz=gz, style=style)
    d = load_dataset("mnist", root=tmp_path, download=False, val_split=0.25)
    assert d.name == "mnist" and not d.fallback_used
    assert d.train.x.dtype == torch.uint8 and d.train.y.dtype == torch.int64
    assert d.train.x.shape == (45, 1, 28, 28) and d.val.x.shape == (15, 1, 28, 28)
    assert d.test.x.shape == (20, 1, 28, 28)
    assert d.train.x.is_contiguous() and d.test.x.is_contiguous()
    assert d.input_shape == (1, 28, 28)
    assert d.classes == [str(i) for i in range(10)]
    assert d.mean == (0.1307,) and d.std == (0.3081,)
    assert str(tmp_path) in d.source
    # test split is exactly the file content
    assert torch.equal(d.test.x[:, 0], torch.from_numpy(arrays["t10k-images"]))
    assert d.test.y.tolist() == arrays["t10k-labels"].tolist()
    # train + val together are exactly the training file, each image with its own label
    ref = {arrays["train-images"][i].tobytes(): int(arrays["train-labels"][i]) for i in range(60)}
    got = {}
    for split in (d.train, d.val):
        for img, label in zip(split.x[:, 0].numpy(), split.y.tolist()):
            got[img.tobytes()] = label
    assert got == ref


def test_torchvision_layout_fashion(tmp_path):
    arrays, _ = make_idx_folder(tmp_path / "FashionMNIST" / "raw", gz=True, n_train=30, n_test=10)
    d = load_dataset("fashion-mnist", root=tmp_path, download=False, val_split=0)
    assert d.val is None
    assert d.train.x.shape == (30, 1, 28, 28)
    assert torch.equal(d.train.x[:, 0], torch.from_numpy(arrays["train-images"]))
    assert d.classes[0] == "T-shirt/top" and d.classes[9] == "Ankle boot"
    assert "FashionMNIST" in d.source


def test_uncompressed_file_preferred_over_gz(tmp_path):
    arrays, _ = make_idx_folder(tmp_path, gz=False)
    # a broken .gz next to a good plain file must not be read
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8bbroken")
    d = load_dataset("mnist", root=tmp_path, download=False, val_split=0)
    assert torch.equal(d.train.x[:, 0], torch.from_numpy(arrays["train-images"]))


def test_system_dir_used_when_root_empty(tmp_path, monkeypatch):
    system = tmp_path / "usr-share"
    make_idx_folder(system, gz=True, n_train=20, n_test=10)
    spec = base._DATASETS["fashion-mnist"]
    monkeypatch.setitem(base._DATASETS, "fashion-mnist",
                        dataclasses.replace(spec, system_dirs=(str(system),)))
    d = load_dataset("fashion-mnist", root=tmp_path / "empty", download=False, val_split=0)
    assert d.train.x.shape == (20, 1, 28, 28)
    assert str(system) in d.source


def test_idx_dataset_any_class_count_and_size(tmp_path):
    make_idx_folder(tmp_path, n_classes=4, size=12, n_train=40, n_test=8)
    d = load_dataset("idx", root=tmp_path, download=False, val_split=0.1)
    assert d.classes == ["0", "1", "2", "3"]
    assert d.input_shape == (1, 12, 12)
    assert len(d.train) == 36 and len(d.val) == 4 and len(d.test) == 8
    # statistics are computed from the training images (uniform random bytes -> about 0.5)
    assert 0.4 < d.mean[0] < 0.6 and 0.25 < d.std[0] < 0.33


def test_idx_label_far_outside_the_others_names_its_file(tmp_path):
    """Labels 0-3 and one 200: 'idx has 201 classes' used to be all the user learned. Now the label file is named."""
    arrays, paths = make_idx_folder(tmp_path, n_classes=4, size=8, n_train=40, n_test=8)
    labels = arrays["train-labels"].copy()
    labels[17] = 200
    write_idx(paths["train-labels"], labels, False)
    with pytest.raises(DataError) as e:
        load_dataset("idx", root=tmp_path, download=False, val_split=0.1)
    msg = str(e.value)
    assert str(paths["train-labels"]) in msg and "label 200 (at position 17)" in msg and "201 classes" in msg


def test_idx_labels_with_a_few_unused_numbers_still_load(tmp_path):
    """EMNIST letters number their classes 1-26: class 0 never appears, and that is fine."""
    arrays, paths = make_idx_folder(tmp_path, n_classes=4, size=8, n_train=40, n_test=8)
    for role in ("train-labels", "t10k-labels"):
        write_idx(paths[role], arrays[role] + 1, False)
    d = load_dataset("idx", root=tmp_path, download=False, val_split=0.1)
    assert d.classes == ["0", "1", "2", "3", "4"]


def test_idx_dataset_needs_root():
    with pytest.raises(DataError, match="root"):
        load_dataset("idx")


def test_val_split_is_seeded(tmp_path):
    make_idx_folder(tmp_path, n_train=100)
    a = load_dataset("mnist", root=tmp_path, download=False, val_split=0.2, seed=1)
    b = load_dataset("mnist", root=tmp_path, download=False, val_split=0.2, seed=1)
    c = load_dataset("mnist", root=tmp_path, download=False, val_split=0.2, seed=2)
    assert torch.equal(a.val.x, b.val.x) and torch.equal(a.train.y, b.train.y)
    assert not torch.equal(a.val.x, c.val.x)
    assert len(a.val) == 20 and len(a.train) == 80


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "x"])
def test_val_split_out_of_range(tmp_path, bad):
    make_idx_folder(tmp_path)
    with pytest.raises(DataError, match="val_split"):
        load_dataset("mnist", root=tmp_path, download=False, val_split=bad)


def test_data_limits_are_the_config_fields():
    """A direct call is held to the config schema's own limits (declared once, in DATA_FIELDS)."""
    from tui_dl.core.config.schema import DATA_FIELDS

    fields = {f.name: f for f in DATA_FIELDS}
    top = fields["val_split"].max
    assert load_dataset("moons", num_samples=50, val_split=top).val is not None
    with pytest.raises(DataError, match=f"val_split: must be at most {top:g}"):
        load_dataset("moons", num_samples=50, val_split=top + 0.05)
    low, high = int(fields["num_samples"].min), int(fields["num_samples"].max)
    assert len(load_dataset("moons", num_samples=low, val_split=0).train) == 8
    with pytest.raises(DataError, match=f"num_samples for moons: must be at least {low}"):
        load_dataset("moons", num_samples=low - 1)
    with pytest.raises(DataError, match="num_samples for synthetic-digits: must be at most"):
        load_dataset("synthetic-digits", num_samples=high + 1)


def test_progress_reports(tmp_path):
    make_idx_folder(tmp_path)
    calls = []
    load_dataset("mnist", root=tmp_path, download=False, progress=lambda m, f: calls.append((m, f)))
    assert calls and all(isinstance(m, str) for m, _ in calls)
    assert all(f is None or 0.0 <= f <= 1.0 for _, f in calls)
    assert calls[-1][1] == 1.0
    assert any("train-images" in m for m, _ in calls)


# --------------------------------------------------------------------------- IDX: damaged files


def _expect_error(root, fragment, name="mnist"):
    with pytest.raises(DataError) as info:
        load_dataset(name, root=root, download=False)
    msg = str(info.value)
    assert fragment in msg, msg
    return msg


def test_wrong_magic_names_file(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    labels = np.zeros(60, dtype=np.uint8)
    write_idx(paths["train-images"], labels)  # a label file under the image file's name
    msg = _expect_error(tmp_path, str(paths["train-images"]))
    assert "2051" in msg and "swapped" in msg


def test_html_page_instead_of_idx(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    paths["t10k-labels"].write_bytes(b"<html><body>404 Not Found</body></html>")
    msg = _expect_error(tmp_path, str(paths["t10k-labels"]))
    assert "web page" in msg


def test_truncated_file(tmp_path):
    _, paths = make_idx_folder(tmp_path, gz=True)
    raw = idx_bytes(np.zeros((60, 28, 28), dtype=np.uint8))
    paths["train-images"].write_bytes(gzip.compress(raw[:-100]))
    msg = _expect_error(tmp_path, str(paths["train-images"]))
    assert "truncated" in msg and "60 images" in msg


def test_damaged_gzip(tmp_path):
    _, paths = make_idx_folder(tmp_path, gz=True)
    blob = paths["train-labels"].read_bytes()
    paths["train-labels"].write_bytes(blob[: len(blob) // 2])  # interrupted download
    msg = _expect_error(tmp_path, str(paths["train-labels"]))
    assert "gzip" in msg


def test_garbage_with_gz_name(tmp_path):
    _, paths = make_idx_folder(tmp_path, gz=True)
    paths["t10k-images"].write_bytes(os.urandom(64) + b"not gzip at all")
    msg = _expect_error(tmp_path, str(paths["t10k-images"]))
    assert "not gzip" in msg


def test_count_mismatch(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    write_idx(paths["train-labels"], np.zeros(59, dtype=np.uint8))
    msg = _expect_error(tmp_path, str(paths["train-labels"]))
    assert str(paths["train-images"]) in msg and "60" in msg and "59" in msg


def test_label_out_of_range(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    labels = np.zeros(20, dtype=np.uint8)
    labels[7] = 12
    write_idx(paths["t10k-labels"], labels)
    msg = _expect_error(tmp_path, str(paths["t10k-labels"]))
    assert "12" in msg and "position 7" in msg


def test_extra_bytes(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    paths["train-labels"].write_bytes(paths["train-labels"].read_bytes() + b"\x00\x00")
    _expect_error(tmp_path, str(paths["train-labels"]))


def test_image_size_mismatch_between_splits(tmp_path):
    make_idx_folder(tmp_path, size=12)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((20, 10, 10), dtype=np.uint8))
    _expect_error(tmp_path, "t10k-images-idx3-ubyte", name="idx")


# --------------------------------------------------------------------------- offline story


def test_missing_files_offline_paragraph(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("mnist", root=tmp_path, download=False)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(tmp_path / "MNIST" / "raw") in msg
    for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert f in msg
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in msg
    assert "fallback: synthetic-digits" in msg
    assert "switched off" in msg
    assert info.value.recoverable


def test_partial_files_are_mentioned(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    paths["t10k-images"].unlink()
    msg = _expect_error(tmp_path, "t10k-images")
    assert "lacks" in msg


def test_download_failure_is_one_paragraph(tmp_path, monkeypatch):
    def offline(request, timeout=None):
        assert timeout == download._DOWNLOAD_TIMEOUT_S
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(download, "_urlopen", offline)
    with pytest.raises(DataError) as info:
        load_dataset("kmnist", root=tmp_path, download=True)
    msg = str(info.value)
    assert "download failed" in msg and "Name or service not known" in msg
    assert "codh.rois.ac.jp" in msg and str(tmp_path / "KMNIST" / "raw") in msg
    assert "\n" not in msg
    assert not list((tmp_path / "KMNIST" / "raw").glob("*.part"))


def _serve_from(monkeypatch, name, src: pathlib.Path, md5_override=None):
    """Point a dataset's mirror at a local file:// folder with correct (or given) md5 sums."""
    spec = base._DATASETS[name]
    files = tuple((f, md5_override or hashlib.md5((src / f).read_bytes()).hexdigest()) for f, _ in spec.files)
    monkeypatch.setitem(base._DATASETS, name, dataclasses.replace(
        spec, mirrors=(src.as_uri() + "/",), files=files))
    monkeypatch.setattr(download, "_urlopen", urllib.request.urlopen)


def test_download_from_mirror(tmp_path, monkeypatch):
    arrays, _ = make_idx_folder(tmp_path / "mirror", gz=True)
    _serve_from(monkeypatch, "mnist", tmp_path / "mirror")
    calls = []
    d = load_dataset("mnist", root=tmp_path / "cache", download=True, val_split=0,
                     progress=lambda m, f: calls.append((m, f)))
    assert torch.equal(d.test.x[:, 0], torch.from_numpy(arrays["t10k-images"]))
    assert sorted(p.name for p in (tmp_path / "cache" / "MNIST" / "raw").iterdir()) == sorted(
        f for f, _ in base._DATASETS["mnist"].files)
    assert any(m.startswith("Downloading") and f == 1.0 for m, f in calls)
    assert "downloaded" in d.source


def test_download_checksum_mismatch(tmp_path, monkeypatch):
    make_idx_folder(tmp_path / "mirror", gz=True)
    _serve_from(monkeypatch, "mnist", tmp_path / "mirror", md5_override="0" * 32)
    with pytest.raises(DataError, match="checksum mismatch"):
        load_dataset("mnist", root=tmp_path / "cache", download=True)
    assert not list((tmp_path / "cache" / "MNIST" / "raw").iterdir())


def test_fallback_to_synthetic(tmp_path):
    d = load_dataset("mnist", root=tmp_path, download=False, fallback="synthetic-digits",
                     num_samples=200, input_shape=[1, 28, 28])
    assert d.fallback_used and d.name == "synthetic-digits"
    assert "MNIST is not on this computer" in d.fallback_reason
    assert d.train.x.shape[1:] == (1, 28, 28) and len(d.train) + len(d.val) == 200
    assert "seed 0" in d.source


def test_no_fallback_without_request(tmp_path):
    with pytest.raises(DataError):
        load_dataset("mnist", root=tmp_path, download=False)


def test_fallback_refused_when_shape_does_not_fit(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("cifar10", root=tmp_path, download=False, fallback="synthetic-digits",
                     input_shape=(3, 32, 32))
    msg = str(info.value)
    assert "CIFAR-10 is not on this computer" in msg and "cannot stand in" in msg and "1×28×28" in msg


def test_fallback_not_used_for_config_errors(tmp_path):
    with pytest.raises(DataError, match="1×28×28"):
        load_dataset("mnist", root=tmp_path, download=False, fallback="synthetic-digits",
                     input_shape=(3, 32, 32))


def test_fallback_for_damaged_files(tmp_path):
    _, paths = make_idx_folder(tmp_path)
    paths["train-images"].write_bytes(b"junk")
    d = load_dataset("mnist", root=tmp_path, download=False, fallback="spirals", num_samples=50)
    assert d.fallback_used and d.name == "spirals" and str(paths["train-images"]) in d.fallback_reason


def test_cifar_offline_and_damaged(tmp_path):
    msg = str(pytest.raises(DataError, load_dataset, "cifar10", root=tmp_path, download=False).value)
    assert "cifar-10-python.tar.gz" in msg and str(tmp_path) in msg and "fallback" in msg
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for f in cifar._CIFAR_FILES:
        (folder / f).write_bytes(b"not a pickle")
    with pytest.raises(DataError) as info:
        load_dataset("cifar10", root=tmp_path, download=False)
    assert str(folder) in str(info.value)


def _fake_cifar(folder: pathlib.Path, monkeypatch, per_batch=4):
    """Tiny CIFAR-10 pickles in torchvision's format, with torchvision's md5 table patched to match."""
    import pickle

    from torchvision import datasets

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images, md5 = {}, {}
    for i, name in enumerate(cifar._CIFAR_FILES[:-1]):
        chw = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        images[name] = chw
        blob = pickle.dumps({"data": chw.reshape(per_batch, 3072), "labels": [(i + k) % 10 for k in range(per_batch)]})
        (folder / name).write_bytes(blob)
        md5[name] = hashlib.md5(blob).hexdigest()
    meta = pickle.dumps({"label_names": list(base._DATASETS["cifar10"].classes)})
    (folder / "batches.meta").write_bytes(meta)
    monkeypatch.setattr(datasets.CIFAR10, "train_list", [[f"data_batch_{i}", md5[f"data_batch_{i}"]] for i in range(1, 6)])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(datasets.CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                                   "md5": hashlib.md5(meta).hexdigest()})
    return images


def test_cifar_from_folder_and_from_archive(tmp_path, monkeypatch):
    import tarfile

    images = _fake_cifar(tmp_path / "src" / "cifar-10-batches-py", monkeypatch)
    d = load_dataset("cifar10", root=tmp_path / "src", download=False, val_split=0)
    assert d.train.x.shape == (20, 3, 32, 32) and d.test.x.shape == (4, 3, 32, 32)
    assert d.train.x.dtype == torch.uint8 and d.train.x.is_contiguous()
    assert torch.equal(d.test.x, torch.from_numpy(images["test_batch"]))  # channels first, untouched
    assert torch.equal(d.train.x[:4], torch.from_numpy(images["data_batch_1"]))
    assert d.train.y[:4].tolist() == [0, 1, 2, 3] and d.input_shape == (3, 32, 32) and len(d.mean) == 3
    # root may also be the cifar-10-batches-py folder itself
    d2 = load_dataset("cifar10", root=tmp_path / "src" / "cifar-10-batches-py", download=False, val_split=0)
    assert torch.equal(d2.test.x, d.test.x)
    # an archive lying in root is unpacked there, without any download
    cache = tmp_path / "cache"
    cache.mkdir()
    with tarfile.open(cache / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    d3 = load_dataset("cifar10", root=cache, download=False, val_split=0)
    assert torch.equal(d3.train.x, d.train.x)
    assert (cache / "cifar-10-batches-py" / "test_batch").is_file()


# --------------------------------------------------------------------------- names and shapes


def test_unknown_name_suggests_closest():
    with pytest.raises(DataError) as info:
        load_dataset("minst")
    msg = str(info.value)
    assert "Did you mean 'mnist'" in msg and "synthetic-digits" in msg and "fashion-mnist" in msg


def test_aliases():
    d = load_dataset("toy-2d", num_samples=40)
    assert d.name == "spirals"
    assert load_dataset("Synthetic_Digits", num_samples=20, val_split=0).name == "synthetic-digits"


def test_shape_mismatch_message(tmp_path):
    make_idx_folder(tmp_path)
    msg = str(pytest.raises(DataError, load_dataset, "mnist", root=tmp_path, download=False,
                            input_shape=[3, 32, 32]).value)
    assert "MNIST images are 1×28×28" in msg and "[3, 32, 32]" in msg and "`input: [1, 28, 28]`" in msg
    assert "cifar10" in msg


def test_flat_input_advises_flatten(tmp_path):
    make_idx_folder(tmp_path)
    msg = str(pytest.raises(DataError, load_dataset, "mnist", root=tmp_path, download=False,
                            input_shape=[784]).value)
    assert "Flatten" in msg and "[784]" in msg


def test_toy_shape_mismatch():
    msg = str(pytest.raises(DataError, load_dataset, "moons", input_shape=(1, 28, 28)).value)
    assert "`input: [2]`" in msg and "mnist" in msg


@pytest.mark.parametrize("bad", [(0, 28, 28), ("a",), (), (1.5, 2)])
def test_invalid_input_shape(bad):
    with pytest.raises(DataError, match="input shape"):
        load_dataset("moons", input_shape=bad)


def test_describe_and_names():
    assert data.describe("mnist") == "MNIST: 70k handwritten digits, 1×28×28, 10 classes"
    for name in data.DATASET_NAMES:
        line = data.describe(name)
        assert line and "\n" not in line
    assert set(data.TOY_DATASETS) <= set(data.DATASET_NAMES)
    with pytest.raises(DataError):
        data.describe("nope")


def test_dataset_names_come_from_the_catalogue_only():
    """The config's choices, the toy list the app uses and the package's names are the catalogue's keys."""
    from tui_dl.core.config import schema

    assert data.DATASET_NAMES == tuple(base._DATASETS) == (
        "mnist", "fashion-mnist", "kmnist", "cifar10", "image-folder", "idx", "synthetic-digits",
        "spirals", "moons", "circles", "xor", "gaussians", "csv")
    assert data.TOY_DATASETS == ("spirals", "moons", "circles", "xor", "gaussians")
    assert schema.DATASETS is data.DATASET_NAMES and schema.TOY_DATASETS is data.TOY_DATASETS
    fields = {f.name: f for f in schema.DATA_FIELDS}
    assert fields["name"].choices == fields["fallback"].choices == data.DATASET_NAMES


def test_catalogue_and_config_load_no_torch():
    """The config schema takes its dataset names from the data package, so importing that must stay cheap."""
    code = ("import sys, tui_dl.core.config.schema, tui_dl.core.data\n"
            "from tui_dl.core.data import DataError, LoadedData, describe\n"
            "describe('mnist')\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out


def test_default_root(monkeypatch, tmp_path):
    monkeypatch.setenv("TUI_DL_DATA", str(tmp_path / "d"))
    assert data.default_root() == tmp_path / "d"
    monkeypatch.delenv("TUI_DL_DATA")
    assert data.default_root() == pathlib.Path.home() / ".cache" / "tui-dl" / "datasets"


# --------------------------------------------------------------------------- image folders


def _png(path: pathlib.Path, size, color, mode="RGB"):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_image_folder_resizes_and_splits(tmp_path):
    for i in range(5):
        _png(tmp_path / "cats" / f"c{i}.png", (20 + i, 10 + 2 * i), (200, 200, 200))
        _png(tmp_path / "dogs" / f"d{i}.jpg", (8, 8), (10, 10, 10))
    (tmp_path / "dogs" / "notes.txt").write_text("ignored")
    d = load_dataset("image-folder", root=tmp_path, input_shape=(1, 16, 12), val_split=0)
    assert d.classes == ["cats", "dogs"]
    assert d.train.x.shape == (8, 1, 16, 12) and d.test.x.shape == (2, 1, 16, 12)
    assert d.train.x.dtype == torch.uint8
    assert sorted(d.test.y.tolist()) == [0, 1]  # stratified: one test image per class
    cats = d.train.x[d.train.y == 0]
    dogs = d.train.x[d.train.y == 1]
    assert int(cats.min()) >= 195 and int(dogs.max()) <= 15
    assert 0.0 < d.mean[0] < 1.0 and d.std[0] > 0.1
    rgb = load_dataset("image-folder", root=tmp_path, input_shape=(3, 5, 7), val_split=0)
    assert rgb.train.x.shape[1:] == (3, 5, 7) and rgb.input_shape == (3, 5, 7)
    assert len(rgb.mean) == 3


def test_image_folder_train_test_layout_and_inferred_shape(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for cls, col in (("a", 0), ("b", 255)):
            for i in range(n):
                _png(tmp_path / split / cls / f"{i}.png", (6, 4), col, mode="L")
    d = load_dataset("image-folder", root=tmp_path, val_split=0)
    assert d.input_shape == (1, 4, 6)  # grey images of 6 wide × 4 high keep their size
    assert len(d.train) == 6 and len(d.test) == 4
    assert d.test.y.tolist() == [0, 0, 1, 1]
    assert "train/test" in d.source


def test_image_folder_empty_class(tmp_path):
    _png(tmp_path / "a" / "1.png", (4, 4), (0, 0, 0))
    (tmp_path / "b").mkdir()
    with pytest.raises(DataError) as info:
        load_dataset("image-folder", root=tmp_path)
    assert str(tmp_path / "b") in str(info.value) and "no images" in str(info.value)


def test_image_folder_unreadable_image(tmp_path):
    for cls in ("a", "b"):
        for i in range(3):
            _png(tmp_path / cls / f"{i}.png", (4, 4), (0, 0, 0))
    bad = tmp_path / "b" / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError) as info:
        load_dataset("image-folder", root=tmp_path, input_shape=(1, 4, 4))
    assert str(bad) in str(info.value)


def _png_header_only(path: pathlib.Path, width: int, height: int):
    """A PNG whose header declares width×height grey pixels (and no pixel data): what PIL sees on open."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [12_000, 20_000])  # 144 MP (PIL warns) and 400 MP (PIL raises)
def test_image_folder_huge_image_is_named_without_pils_warning(tmp_path, side):
    import warnings

    for cls in ("a", "b"):
        for i in range(3):
            _png(tmp_path / cls / f"{i}.png", (4, 4), (0, 0, 0))
    huge = tmp_path / "a" / "huge.png"
    _png_header_only(huge, side, side)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DataError) as info:
            load_dataset("image-folder", root=tmp_path)
    assert str(huge) in str(info.value) and "too large" in str(info.value)
    assert not [w for w in caught if "DecompressionBomb" in type(w.message).__name__], caught


def test_image_folder_no_classes_and_bad_shape(tmp_path):
    with pytest.raises(DataError, match="No class folders"):
        load_dataset("image-folder", root=tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("image-folder", root=tmp_path / "missing")
    for cls in ("a", "b"):
        _png(tmp_path / cls / "1.png", (4, 4), (0, 0, 0))
        _png(tmp_path / cls / "2.png", (4, 4), (0, 0, 0))
    with pytest.raises(DataError, match=r"\[2\]"):
        load_dataset("image-folder", root=tmp_path, input_shape=(2,))


# --------------------------------------------------------------------------- synthetic digits


@pytest.fixture(scope="module")
def digits():
    return data.synthesize_digits(2000, seed=0)


def test_synthetic_deterministic(digits):
    x, y = data.synthesize_digits(200, seed=0)
    x2, y2 = data.synthesize_digits(200, seed=0)
    x3, _ = data.synthesize_digits(200, seed=1)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, x3)


def test_synthetic_shape_balance_range(digits):
    x, y = digits
    assert x.shape == (2000, 1, 28, 28) and x.dtype == torch.uint8 and x.is_contiguous()
    assert y.dtype == torch.int64
    assert torch.bincount(y, minlength=10).tolist() == [200] * 10
    assert int(x.max()) == 255 and int(x.min()) == 0
    ink = x.float().div(255).mean().item()
    assert 0.08 < ink < 0.3  # MNIST: 0.13
    # digits sit in the middle like MNIST's: the 2-pixel frame holds little ink compared with the centre
    frame = torch.cat([x[..., :2, :].flatten(1), x[..., -2:, :].flatten(1),
                       x[..., :, :2].flatten(1), x[..., :, -2:].flatten(1)], 1).float().mean().item()
    centre = x[..., 7:21, 7:21].float().mean().item()
    assert frame < 0.15 * centre, (frame, centre)


def test_synthetic_learnable_but_not_trivial(digits):
    x, y = digits
    xf = x.flatten(1).float() / 255
    xtr, ytr, xte, yte = xf[:1500], y[:1500], xf[1500:], y[1500:]
    means = torch.stack([xtr[ytr == c].mean(0) for c in range(10)])
    acc = (torch.cdist(xte, means).argmin(1) == yte).float().mean().item()
    assert 0.45 < acc < 0.95, acc  # chance is 0.10


def test_synthetic_dataset_sizes():
    d = load_dataset("synthetic-digits", num_samples=500, val_split=0.2, seed=3)
    assert len(d.train) == 400 and len(d.val) == 100 and len(d.test) == 100
    assert d.classes == [str(i) for i in range(10)] and d.input_shape == (1, 28, 28)
    assert 0.05 < d.mean[0] < 0.35 and 0.15 < d.std[0] < 0.45
    with pytest.raises(DataError, match="num_samples"):
        load_dataset("synthetic-digits", num_samples=3)


# --------------------------------------------------------------------------- toy sets


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_sets(name):
    d = load_dataset(name, num_samples=200, val_split=0.1, seed=5)
    assert d.train.x.dtype == torch.float32 and d.train.x.shape == (144, 2)
    assert len(d.val) == 16 and d.test.x.shape == (40, 2)
    assert d.input_shape == (2,) and d.mean == () and d.std == ()
    assert d.classes == ["0", "1"]
    y = torch.cat([d.train.y, d.val.y, d.test.y])
    assert torch.bincount(y).tolist() == [100, 100]
    assert set(d.test.y.tolist()) == {0, 1}
    assert torch.isfinite(d.train.x).all() and d.train.x.abs().max() < 3
    again = load_dataset(name, num_samples=200, val_split=0.1, seed=5)
    other = load_dataset(name, num_samples=200, val_split=0.1, seed=6)
    assert torch.equal(d.train.x, again.train.x) and torch.equal(d.test.y, again.test.y)
    assert not torch.equal(d.train.x, other.train.x)


def test_toy_geometry():
    x, y = data.make_toy("circles", 1000, seed=0)
    r = x.norm(dim=1)
    assert r[y == 0].mean() > 0.9 and r[y == 1].mean() < 0.6
    x, y = data.make_toy("xor", 1000, seed=0)
    agree = ((x[:, 0] * x[:, 1] < 0).long() == y).float().mean()
    assert agree > 0.9
    x, y = data.make_toy("gaussians", 1000, seed=0)
    assert x[y == 0, 0].mean() < -0.4 and x[y == 1, 0].mean() > 0.4
    x, y = data.make_toy("spirals", 1000, seed=0)
    # not linearly separable: the best axis-aligned threshold is far from perfect
    assert ((x[:, 0] > 0).long() == y).float().mean().item() < 0.8


def test_default_toy_size():
    d = load_dataset("xor", val_split=0)
    assert len(d.train) == 800 and len(d.test) == 200


# --------------------------------------------------------------------------- normalize_batch


def test_normalize_uint8_single_channel():
    xb = torch.randint(0, 256, (4, 1, 5, 5), dtype=torch.uint8)
    out = normalize_batch(xb, (0.1307,), (0.3081,))
    ref = (xb.double() / 255 - 0.1307) / 0.3081
    assert out.dtype == torch.float32 and out.shape == xb.shape
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-5)
    assert xb.dtype == torch.uint8  # input untouched


def test_normalize_uint8_three_channels():
    xb = torch.randint(0, 256, (3, 3, 4, 4), dtype=torch.uint8)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    out = normalize_batch(xb, mean, std)
    ref = (xb.double() / 255 - torch.tensor(mean, dtype=torch.double).view(1, 3, 1, 1)) / torch.tensor(
        std, dtype=torch.double).view(1, 3, 1, 1)
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=1e-5)


def test_normalize_without_stats():
    xb = torch.randint(0, 256, (2, 1, 3, 3), dtype=torch.uint8)
    torch.testing.assert_close(normalize_batch(xb, (), ()), xb.float() / 255)
    pts = torch.randn(5, 2)
    out = normalize_batch(pts, (), ())
    assert out.dtype == torch.float32 and torch.equal(out, pts)
    pts64 = torch.randn(5, 2, dtype=torch.float64)
    assert normalize_batch(pts64, (), ()).dtype == torch.float32


def test_normalize_float_with_stats_does_not_modify_input():
    pts = torch.randn(6, 2)
    before = pts.clone()
    out = normalize_batch(pts, (0.5, -1.0), (2.0, 4.0))
    torch.testing.assert_close(out, (before - torch.tensor([0.5, -1.0])) / torch.tensor([2.0, 4.0]))
    assert torch.equal(pts, before)


# --------------------------------------------------------------------------- real data (optional)

_DEBIAN_FASHION = pathlib.Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not _DEBIAN_FASHION.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_fashion_mnist_from_debian_package():
    d = load_dataset("fashion-mnist", root=_DEBIAN_FASHION, download=False, val_split=0)
    assert len(d.train) == 60_000 and len(d.test) == 10_000
    assert torch.bincount(d.train.y).tolist() == [6000] * 10
    assert abs(d.train.x.float().mean().item() / 255 - 0.2860) < 0.001


def test_fallback_reason_does_not_advise_setting_the_fallback_in_use(tmp_path):
    data = load_dataset("mnist", root=tmp_path, download=False, fallback="synthetic-digits", num_samples=100)
    assert data.fallback_used and "MNIST" in data.fallback_reason
    assert "set `fallback" not in data.fallback_reason
    with pytest.raises(DataError, match="set `fallback: synthetic-digits`"):
        load_dataset("mnist", root=tmp_path, download=False)
