"""tui-dl predict (issue 16 item 6): image files are converted and resized exactly as the image-folder dataset
reads them, fed with the trainer's normalisation, and the top-k classes come with probabilities that follow the
loss; --idx FILE --index N reads one image of an IDX file; bad input is one line with exit 2."""

from __future__ import annotations

import json

import pytest
import torch

from tests.core.test_data import make_idx_folder
from tests.test_export import NETS, cli, make_checkpoint
from tui_dl.core.data import load_dataset, normalize_batch
from tui_dl.core.export import load_trained
from tui_dl.core.predict import predict, read_idx_image, read_image, scores


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {key: make_checkpoint(root / key, NETS[key][0](), NETS[key][1]) for key in ("lenet5", "rgb", "fnn_2_3_1")}


def _picture(path, size, mode="RGB", seed=0):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    shape = (size[1], size[0], 3) if mode == "RGB" else (size[1], size[0])
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path)
    return path


def test_images_are_read_as_the_image_folder_dataset_reads_them(tmp_path, runs):
    """The same files through load_dataset("image-folder") and through predict give the same tensors."""
    folder = tmp_path / "pics"
    for i, cls in enumerate(("cat", "dog", "emu")):
        (folder / cls).mkdir(parents=True)
        _picture(folder / cls / "a.png", (30 + 7 * i, 20 + 3 * i), seed=i)
        _picture(folder / cls / "b.jpg", (12, 12), seed=10 + i)
    data = load_dataset("image-folder", root=folder, input_shape=(3, 12, 12), val_split=0.0)
    trained = load_trained(runs["rgb"])
    mine = torch.stack([read_image(p, trained) for p in sorted(folder.rglob("*.*"))])
    theirs = torch.cat([data.train.x, data.test.x])  # the dataset's own order: compare as sets
    assert mine.dtype == torch.uint8 and mine.shape[1:] == (3, 12, 12)
    assert sorted(map(bytes, mine.flatten(1).numpy())) == sorted(map(bytes, theirs.flatten(1).numpy()))
    grey = load_trained(runs["lenet5"])
    assert read_image(folder / "cat" / "a.png", grey).shape == (1, 28, 28)  # RGB → grey, resized


def test_top_k_comes_from_the_network_with_the_trainers_normalisation(tmp_path, runs):
    trained = load_trained(runs["rgb"])
    paths = [_picture(tmp_path / f"p{i}.png", (16, 9), seed=i) for i in range(3)]
    x = torch.stack([read_image(p, trained) for p in paths])
    preds = predict(trained, x, [str(p) for p in paths], top=2)
    inf = trained.inference
    with torch.no_grad():
        want = trained.model(normalize_batch(x, inf["mean"], inf["std"]))  # ends with Softmax: probabilities
    for row, p in enumerate(preds):
        assert p.kind == "probability" and len(p.top) == 2
        i, name, v = p.top[0]
        assert i == int(want[row].argmax()) and name == trained.classes[i]
        assert v == pytest.approx(float(want[row].max()), abs=1e-6)
        assert p.top[0][2] >= p.top[1][2]


def test_probabilities_follow_the_loss(runs):
    lenet = load_trained(runs["lenet5"])  # cross_entropy on logits: softmax
    out = torch.tensor([[2.0, 0.0, -1.0, 0, 0, 0, 0, 0, 0, 0]])
    p, kind = scores(lenet, out)
    assert kind == "probability" and torch.allclose(p, torch.softmax(out, 1))
    fnn = load_trained(runs["fnn_2_3_1"])  # bce on one logit: sigmoid is p(class 1)
    p, kind = scores(fnn, torch.tensor([[0.0], [2.0]]))
    assert kind == "probability" and torch.allclose(p[:, 1], torch.sigmoid(torch.tensor([0.0, 2.0])))
    assert torch.allclose(p.sum(1), torch.ones(2))


def test_the_command_prints_the_top_classes_and_json(tmp_path, runs):
    img = _picture(tmp_path / "digit.png", (40, 40), mode="L")
    rc, out, err = cli("predict", runs["lenet5"], img, "--top", "3")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"{img}: ") and "%" in lines[0] and len(lines) == 4
    rc, out, err = cli("predict", runs["lenet5"], img, img, "--json", "--top", "5")
    data = json.loads(out)
    assert rc == 0 and len(data["predictions"]) == 2
    top = data["predictions"][0]["top"]
    assert len(top) == 5 and all(set(t) == {"index", "class", "probability"} for t in top)
    assert top == sorted(top, key=lambda t: -t["probability"])


def test_idx_images_by_index(tmp_path, runs):
    arrays, paths = make_idx_folder(tmp_path / "idx", n_train=5, n_test=4, gz=True)
    trained = load_trained(runs["lenet5"])
    x = read_idx_image(paths["t10k-images"], 2, trained)
    assert torch.equal(x[0], torch.from_numpy(arrays["t10k-images"][2]))
    assert torch.equal(read_idx_image(paths["t10k-images"], 2, trained, invert=True), 255 - x)
    rc, out, err = cli("predict", runs["lenet5"], "--idx", paths["t10k-images"], "--index", "0", "--index", "3")
    assert rc == 0, err
    assert f"{paths['t10k-images']}[0]: " in out and f"{paths['t10k-images']}[3]: " in out


@pytest.mark.parametrize("args, words", [
    (["RUN", "missing.png"], "missing.png: no such image file"),
    (["RUN", "bad.png"], "Could not read the image"),
    (["RUN"], "give one or more image files"),
    (["RUN", "good.png", "--top", "0"], "--top 0: give 1 or more"),
    (["RUN", "--index", "1", "good.png"], "--index picks an image of an --idx file"),
    (["RUN", "--idx", "IDX", "--index", "99"], "--index 99:"),
    (["FNN", "good.png"], "not images"),
    (["nowhere", "good.png"], "nowhere: no such run folder or checkpoint"),
    (["RUN", "good.png", "--top", "many"], "invalid int value: 'many'"),
])
def test_bad_predict_input_is_one_line_and_exit_2(args, words, tmp_path, runs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _picture(tmp_path / "good.png", (10, 10))
    (tmp_path / "bad.png").write_text("not a picture")
    _arrays, paths = make_idx_folder(tmp_path / "idx", n_train=3, n_test=3)
    swap = {"RUN": str(runs["lenet5"]), "FNN": str(runs["fnn_2_3_1"]), "IDX": str(paths["t10k-images"])}
    rc, out, err = cli("predict", *[swap.get(a, a) for a in args])
    assert rc == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_the_picture_is_half_blocks_of_the_image():
    """predict draws each image before its classes at a terminal: 28 columns x 14 rows for a 28x28 digit, the top
    pixel as the foreground of a half block and the bottom one as its background."""
    from tui_dl.cli.predict import picture_lines

    x = torch.zeros(1, 28, 28, dtype=torch.uint8)
    x[0, 0, 0] = 255  # one white pixel in the top-left corner: the first cell's upper half
    lines = picture_lines(x)
    assert len(lines) == 14 and all(line.count("▀") == 28 for line in lines)
    first = lines[0].split("▀")[0]
    # the corner's white is the first cell's foreground (256-colour 231, or truecolor 255,255,255), over black
    assert ("38;5;231" in first or "38;2;255;255;255" in first) and ("48;5;16" in first or "48;2;0;0;0" in first)
    assert picture_lines(torch.zeros(3, 8, 8), width=28)[0].count("▀") == 8  # small colour images keep their size
