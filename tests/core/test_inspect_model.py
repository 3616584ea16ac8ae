"""Opening a trained run for inference (core/insight/model_io.py) and the sample gallery (core/insight/gallery.py):
the model in eval mode with the normalisation folded in, errors that name the path, every filter."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.data import DataError, load_dataset, normalize_batch
from tui_dl.core.insight.gallery import FILTER_KINDS, GalleryFilter, image_rows, items, predictions, select
from tui_dl.core.insight.model_io import CheckpointError, Normalized, load_trained, stop_requested


@pytest.fixture(scope="module")
def trained(insight_run):
    return load_trained(insight_run[0])


@pytest.fixture(scope="module")
def preds(trained):
    return predictions(trained, batch_size=256)


def test_a_run_folder_opens_in_eval_mode_with_its_test_set(trained, insight_run):
    run_dir, fin = insight_run
    assert trained.path == run_dir / "last.pt" and trained.run_dir == run_dir
    assert not trained.network.training and not trained.model.training
    assert not any(p.requires_grad for p in trained.network.parameters())
    assert trained.data.name == "synthetic-digits" and trained.n_test == 600 == sum(map(sum, fin.confusion))
    assert trained.classes == [str(i) for i in range(10)] and trained.epoch == 3
    assert trained.test.x.dtype == torch.uint8
    assert "after epoch 3 of 3 (last.pt)" in trained.describe() and "600 images of synthetic-digits" in trained.describe()
    assert load_trained(run_dir / "best.pt").path.name == "best.pt"


def test_the_folded_model_takes_pixels_in_0_1_and_matches_the_trainers_normalisation(trained):
    u8 = trained.test.x[:32]
    with torch.no_grad():
        folded = trained.model(trained.images(slice(0, 32)))
        direct = trained.network(normalize_batch(u8, trained.mean, trained.std))
    assert torch.allclose(folded, direct, atol=1e-4)
    assert torch.equal(folded.argmax(1), direct.argmax(1))
    x = trained.images([3, 5])
    assert x.shape == (2, 1, 28, 28) and x.min() >= 0 and x.max() <= 1
    assert torch.equal(trained.labels([3, 5]), trained.test.y[[3, 5]])


def test_no_normalisation_is_the_identity():
    net = torch.nn.Flatten()
    x = torch.rand(2, 1, 3, 3)
    assert torch.equal(Normalized(net, (), ())(x), net(x))
    three = Normalized(net, (0.5, 0.4, 0.3), (0.2, 0.25, 0.5))
    x3 = torch.rand(2, 3, 2, 2)
    want = net((x3 - torch.tensor([0.5, 0.4, 0.3]).view(1, 3, 1, 1)) / torch.tensor([0.2, 0.25, 0.5]).view(1, 3, 1, 1))
    assert torch.allclose(three(x3), want, atol=1e-6)


def test_bad_paths_are_named(tmp_path):
    with pytest.raises(CheckpointError, match="no such run folder or checkpoint") as e:
        load_trained(tmp_path / "nope")
    assert str(tmp_path / "nope") in str(e.value)
    with pytest.raises(CheckpointError, match="not a tui-dl run folder") as e:
        load_trained(tmp_path)
    assert str(tmp_path) in str(e.value)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError) as e:
        load_trained(junk)
    assert str(junk) in str(e.value)


def test_a_run_on_points_is_refused_naming_the_run(tmp_path):
    from tui_dl.core.config.experiment import experiment_from_data
    from tui_dl.core.training.loop import iter_training

    exp = experiment_from_data({"name": "m", "input": [2], "layers": [{"type": "Linear", "out_features": 2}],
                                "data": {"name": "moons", "num_samples": 200},
                                "train": {"epochs": 1, "threads": 1}}, "test")
    list(iter_training(exp, run_dir=tmp_path / "moons"))
    with pytest.raises(DataError, match="not images") as e:
        load_trained(tmp_path / "moons")
    assert "moons" in str(e.value) and str(tmp_path / "moons") in str(e.value)


def test_predictions_cover_the_test_set(trained, preds):
    assert preds.n == trained.n_test and preds.probs.shape == (trained.n_test, 10)
    assert torch.allclose(preds.probs.sum(1), torch.ones(trained.n_test), atol=1e-5)
    assert torch.equal(preds.pred, preds.probs.argmax(1))
    assert torch.equal(preds.confidence, preds.probs.max(1).values)
    cm = preds.confusion()
    assert sum(map(sum, cm)) == preds.n and sum(cm[i][i] for i in range(10)) == int(preds.correct.sum())
    assert preds.accuracy == int(preds.correct.sum()) / preds.n


def test_every_gallery_filter(preds):
    n = preds.n
    assert select(preds, GalleryFilter()) == list(range(n))
    assert select(preds, GalleryFilter(), limit=5) == [0, 1, 2, 3, 4]
    sevens = select(preds, GalleryFilter.of_class(7))
    assert sevens and all(int(preds.y[i]) == 7 for i in sevens) and len(sevens) == int((preds.y == 7).sum())
    wrong = select(preds, GalleryFilter.wrong())
    assert len(wrong) == n - int(preds.correct.sum()) > 0 and all(not preds.correct[i] for i in wrong)
    assert wrong == sorted(wrong)
    confident = select(preds, GalleryFilter.confident_wrong())
    assert sorted(confident) == wrong
    conf = [float(preds.confidence[i]) for i in confident]
    assert conf == sorted(conf, reverse=True)
    cm = preds.confusion()
    for t in range(10):
        for p in range(10):
            cell = select(preds, GalleryFilter.cell(t, p))
            assert len(cell) == cm[t][p]
            assert all(int(preds.y[i]) == t and int(preds.pred[i]) == p for i in cell)
    item = items(preds, GalleryFilter.confident_wrong(), limit=1)[0]
    assert not item.correct and item.caption().endswith("✗") and f"#{item.index}" in item.caption()
    assert GalleryFilter.cell(3, 5).label([str(i) for i in range(10)]) == "true 3, predicted 5"
    assert set(FILTER_KINDS) == {"all", "class", "wrong", "confident-wrong", "cell"}
    with pytest.raises(ValueError):
        GalleryFilter("nope")
    with pytest.raises(ValueError):
        GalleryFilter("cell", 1)


def test_image_rows_for_the_pictures():
    g = torch.arange(6, dtype=torch.uint8).view(1, 2, 3)
    assert image_rows(g) == [[0, 1, 2], [3, 4, 5]]
    assert image_rows(torch.tensor([[[0.0, 1.0]]])) == [[0, 255]]
    rgb = torch.stack([torch.full((2, 2), 10), torch.full((2, 2), 20), torch.full((2, 2), 30)]).to(torch.uint8)
    assert image_rows(rgb) == [[(10, 20, 30)] * 2] * 2


def test_data_given_by_the_caller_is_used(insight_run):
    data = load_dataset("synthetic-digits", num_samples=3000, val_split=0.1, seed=0, input_shape=(1, 28, 28))
    t = load_trained(insight_run[0], data=data)
    assert t.data is data
    assert not stop_requested(None) and stop_requested(lambda: True)
