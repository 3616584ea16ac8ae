"""What the network sees (core/insight/features.py): each conv layer's feature maps have the shape the summary
table gives that layer, the first layer's filters are its weights, the probabilities are the model's."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.config.experiment import experiment_from_data
from tui_dl.core.data import load_dataset
from tui_dl.core.insight.features import feature_maps, first_filters, layer_modules, map_rows
from tui_dl.core.insight.gallery import predictions
from tui_dl.core.insight.model_io import from_parts, load_trained
from tui_dl.core.model.build import build_model
from tui_dl.core.model.shapes import summarize


@pytest.fixture(scope="module")
def trained(insight_run):
    return load_trained(insight_run[0])


def test_feature_map_shapes_equal_the_summary_shapes(trained):
    view = feature_maps(trained, 7)
    summary = summarize(trained.spec)
    convs = [r for r in summary.rows if r.type == "Conv2d"]
    assert [m.path for m in view.layers] == [r.path for r in convs]
    for maps, row in zip(view.layers, convs):
        assert maps.shape == row.out_shape, (maps.title(), row.out_shape)
        assert maps.label == row.label and maps.title().startswith(f"layer {row.index_text} ")
    assert [m.shape for m in view.layers] == [(6, 28, 28), (16, 10, 10)]


def test_every_layer_with_maps_and_its_shape(trained):
    view = feature_maps(trained, 0, kind="all")
    summary = summarize(trained.spec)
    assert [m.type for m in view.layers] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d"]
    for maps in view.layers:
        assert maps.shape == summary.row(maps.path).out_shape
    relu = view.layers[1].maps
    assert relu.min() >= 0 and torch.equal(relu, view.layers[0].maps.clamp_min(0))


def test_filters_probabilities_and_prediction(trained):
    view = feature_maps(trained, 3)
    conv0 = trained.network[0]
    assert torch.equal(view.filters, conv0.weight.detach()) and view.filters.shape == (6, 1, 5, 5)
    assert view.filters_layer == "1"
    preds = predictions(trained)
    assert view.predicted == int(preds.pred[3]) and view.true == int(preds.y[3])
    assert sum(view.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert view.probabilities == pytest.approx(preds.probs[3].tolist(), abs=1e-6)
    ranked = view.ranked()
    assert ranked[0][0] == trained.classes[view.predicted] and [p for _, p in ranked] == sorted(view.probabilities,
                                                                                                reverse=True)
    assert torch.equal(view.image, trained.images(3)[0])
    # hooks are removed afterwards
    assert all(not m._forward_hooks for m in trained.network.modules())


def test_maps_as_grey_levels(trained):
    view = feature_maps(trained, 3)
    m = view.layers[0].maps[0]
    rows = map_rows(m)
    assert len(rows) == 28 and len(rows[0]) == 28
    flat = [v for r in rows for v in r]
    assert min(flat) == 0 and max(flat) == 255
    with pytest.raises(ValueError):
        map_rows(view.layers[0].maps)


def test_blocks_and_networks_without_convolutions():
    data = load_dataset("synthetic-digits", num_samples=50, val_split=0.0, seed=0, input_shape=(1, 28, 28))
    res = experiment_from_data({"name": "r", "input": [1, 28, 28], "layers": [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "Residual", "projection": "auto", "layers": [
            {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}, {"type": "ReLU"},
            {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1}]},
        {"type": "Flatten"}, {"type": "Linear", "out_features": 10}], "data": {"name": "synthetic-digits"}}, "t")
    t = from_parts(build_model(res.network), res, data)
    view = feature_maps(t, 0)
    summary = summarize(res.network)
    assert [m.index_text for m in view.layers] == ["1", "2.1", "2.3"]
    for maps in view.layers:
        assert maps.shape == summary.row(maps.path).out_shape
    assert [p for p, _, _ in layer_modules(t, "all")][:4] == [(0,), (1,), (1, 0), (1, 1)]
    mlp = experiment_from_data({"name": "m", "input": [1, 28, 28], "layers": [
        {"type": "Flatten"}, {"type": "Linear", "out_features": 10}], "data": {"name": "synthetic-digits"}}, "t")
    t2 = from_parts(build_model(mlp.network), mlp, data)
    v2 = feature_maps(t2, 0)
    assert v2.layers == [] and v2.filters is None and "no convolution layers" in v2.notes[0]
    assert first_filters(t2) == (None, "")
    with pytest.raises(ValueError, match="does not exist"):
        feature_maps(t2, 50)
