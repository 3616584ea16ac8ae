"""Issue 20, the data, model and config messages in Chinese: a bad dataset file, a shape error, a wrong device
still name the file, the field or the value under zh_CN, and read exactly as before in English."""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest

from tui_dl.core import i18n
from tui_dl.core.config import schema
from tui_dl.core.data import DataError, describe, download, load_dataset
from tui_dl.core.data.base import DATA_FIELDS, DATASET_NAMES
from tui_dl.core.model.layers import REGISTRY
from tui_dl.core.model.layers.base import GROUPS
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import LayerSpec, NetworkSpec
from tui_dl.core.paths import PathProblem, expand_user

CJK = re.compile(r"[\u4e00-\u9fff]")


def _error(**kwargs) -> str:
    with pytest.raises(DataError) as info:
        load_dataset(download=False, **kwargs)
    return str(info.value)


def _semicolon_csv(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a;b;label\n1;2;x\n3;4;y\n", encoding="utf-8")
    return path


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def _idx_folder(tmp_path, truncate: str | None = None):
    rng = np.random.default_rng(0)
    files = {
        "train-images-idx3-ubyte": _idx(2051, (30, 28, 28), rng.integers(0, 256, 30 * 784, dtype=np.uint8).tobytes()),
        "train-labels-idx1-ubyte": _idx(2049, (30,), (np.arange(30) % 3).astype(np.uint8).tobytes()),
        "t10k-images-idx3-ubyte": _idx(2051, (9, 28, 28), rng.integers(0, 256, 9 * 784, dtype=np.uint8).tobytes()),
        "t10k-labels-idx1-ubyte": _idx(2049, (9,), (np.arange(9) % 3).astype(np.uint8).tobytes()),
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        if name == truncate:
            blob = gzip.compress(blob[:-100])
            name += ".gz"
        (tmp_path / name).write_bytes(blob)
    return tmp_path


# ------------------------------------------------------------------------------------------ English unchanged


def test_english_messages_unchanged(tmp_path):
    path = _semicolon_csv(tmp_path)
    assert _error(name="csv", path=str(path)) == (
        f"{path}:1: the header 'a;b;label' is one column: the values are separated by ';', not commas. "
        "Save the table as CSV with commas between the values.")
    assert _error(name="mnisst").startswith("Unknown dataset 'mnisst'. Did you mean 'mnist'? Valid names: mnist,")
    folder = _idx_folder(tmp_path / "idx", truncate="train-images-idx3-ubyte")
    msg = _error(name="idx", root=str(folder))
    assert msg.startswith(f"{folder / 'train-images-idx3-ubyte.gz'} is truncated: its header promises 30 images of "
                          "28×28 pixels (23,536 bytes) but the unpacked file has only ")
    assert describe("synthetic-digits") == ("Synthetic digits: 24k generated handwriting-like digits, works offline, "
                                            "1×28×28, 10 classes")
    line = download.download_line("train-images", 500_000, 1_000_000, 1.0)
    assert line == "Downloading train-images: 50% of 1.0 MB, 0.5 MB/s"
    assert download.is_download(line) and line.label == "train-images"


# ------------------------------------------------------------------------------------------ Chinese


def test_bad_csv_in_chinese_names_the_file(tmp_path, chinese):
    path = _semicolon_csv(tmp_path)
    msg = _error(name="csv", path=str(path))
    assert msg.startswith(f"{path}:1：表头 'a;b;label' 只有一列"), msg
    assert "逗号" in msg and "header" not in msg
    (tmp_path / "words.csv").write_text("x,label\n1,a\nhello,b\n", encoding="utf-8")
    msg = _error(name="csv", path=str(tmp_path / "words.csv"))
    assert str(tmp_path / "words.csv") in msg and "'hello'" in msg and "不是数字" in msg, msg
    msg = _error(name="csv", path=str(tmp_path / "missing.csv"))
    assert "missing.csv" in msg and "不存在" in msg and "`path:`" in msg


def test_bad_idx_file_in_chinese_names_the_file(tmp_path, chinese):
    folder = _idx_folder(tmp_path / "a", truncate="train-images-idx3-ubyte")
    msg = _error(name="idx", root=str(folder))
    assert str(folder / "train-images-idx3-ubyte.gz") in msg
    assert "被截断" in msg and "30 张 28×28 像素的图像" in msg and "重新下载" in msg, msg
    folder = _idx_folder(tmp_path / "b")
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"<html><body>404</body></html>")
    msg = _error(name="idx", root=str(folder))
    assert str(folder / "t10k-labels-idx1-ubyte") in msg and "不是 IDX 标签文件" in msg and "网页" in msg, msg
    empty = tmp_path / "empty"
    empty.mkdir()
    msg = _error(name="idx", root=str(empty))
    assert msg.startswith(f"{empty} 中没有 IDX 文件。idx 数据集需要四个文件"), msg  # no space between sentences


def test_dataset_names_and_shapes_in_chinese(chinese):
    msg = _error(name="mnisst")
    assert msg.startswith("未知的数据集 'mnisst'。您是想用 'mnist' 吗？"), msg
    msg = _error(name="spirals", input_shape=[1, 28, 28])
    assert msg.startswith("螺旋的样本有 2 个特征，但网络的输入是 [1, 28, 28]：请在 YAML 中设置 `input: [2]`"), msg
    assert describe("moons") == "双月牙：1,000 个二维点，两个交错的半圆，2 个特征，2 个类别"
    for name in DATASET_NAMES:
        assert CJK.search(describe(name)), name


def test_fallback_reason_drops_the_translated_advice(tmp_path, chinese):
    data = load_dataset("mnist", root=tmp_path, download=False, fallback="synthetic-digits", num_samples=20,
                        val_split=0)
    assert data.fallback_used and "MNIST 不在这台电脑上" in data.fallback_reason
    assert "fallback: synthetic-digits" not in data.fallback_reason  # the advice is moot once one is in use
    assert CJK.search(data.source)


def test_download_progress_is_known_by_type_in_chinese(chinese):
    line = download.download_line("train-images", 500_000, 1_000_000, 1.0)
    assert line == "正在下载 train-images: 50%，共 1.0 MB，0.5 MB/s"
    assert download.is_download(line) and line.label == "train-images"
    assert not download.is_download("正在读取 train-images-idx3-ubyte")


def test_shape_errors_in_chinese_name_the_field(chinese):
    summary = summarize(NetworkSpec((1, 8, 8), (LayerSpec("Conv2d", {"out_channels": 4, "kernel_size": 11}),)))
    row = summary.first_error
    assert row.error.startswith("11×11 的卷积核比填充后的 8×8 输入还大"), row.error
    assert "kernel_size" in row.error
    summary = summarize(NetworkSpec((3, 8, 8), (LayerSpec("Conv2d", {"out_channels": 4, "kernel_size": 3,
                                                                    "groups": 2}),)))
    assert summary.first_error.error == "groups=2 必须能整除 3 个输入通道。"
    fix = summary.first_error.fix
    assert fix is not None and fix.description == "把 groups 设为 1"
    summary = summarize(NetworkSpec((1, 5, 5), (LayerSpec("MaxPool2d", {"kernel_size": 2}),)))
    assert summary.rows[0].warnings == ["窗口不能整除（步长 2）：输入的最后 1 行和1 列永远不会被覆盖，所以 ⌊…⌋ 会丢弃它们"]


def test_every_layer_text_and_field_help_is_translated(chinese):
    """What the Build view and the Explain pane show of the registry: each kind's summary, its group, each
    field's help; the English sources stay as they were (YAML docs and machine schemas use them)."""
    for kind in REGISTRY.values():
        assert CJK.search(i18n._(kind.summary)), kind.name
        assert kind.group in GROUPS and CJK.search(i18n._(kind.group)), kind.group
        for f in kind.fields:
            assert not CJK.search(f.help) and CJK.search(f.help_text), (kind.name, f.name)
    fields = list(DATA_FIELDS) + list(schema.TRAIN_FIELDS) + list(schema.EARLY_STOPPING_FIELDS)
    fields += list(schema.ADVERSARIAL_FIELDS)
    for table in (schema.OPTIMIZERS, schema.LOSSES, schema.SCHEDULERS):
        fields += [f for group in table.values() for f in group]
    for f in fields:
        if f.help:
            assert CJK.search(f.help_text), f.name


def test_device_and_path_errors_in_chinese(chinese):
    from tui_dl.core.device import DeviceError, resolve_device

    with pytest.raises(DeviceError) as info:
        resolve_device("gpu9")
    assert str(info.value) == "'gpu9' 不是设备：请使用 auto、cpu、cuda、cuda:N 或 mps"
    with pytest.raises(PathProblem) as info:
        expand_user("~no_such_user_tui_dl/x")
    assert str(info.value).startswith("~no_such_user_tui_dl/x：这台机器上没有用户 'no_such_user_tui_dl'"), str(info.value)


def test_device_probe_describes_the_datasets_in_chinese(chinese):
    from tui_dl.core.device import probe

    info = probe()
    assert info["datasets"]["mnist"] == "MNIST：7 万个手写数字，1×28×28，10 个类别"
    assert set(info) == {"device", "datasets"}  # the JSON's keys stay as they are
