"""Configuration and shape errors in Chinese (issue 20), with the same file:line:field; English unchanged."""

import pytest

from tui_dl.core.config.experiment import ConfigError, parse_experiment
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import LayerSpec, NetworkSpec

BAD = "input: [1, 28, 28]\nlayers:\n  - {type: Flatten}\n  - {type: Linear, out_features: 10, wrong: 3}\n"


def _error(tmp_path):
    with pytest.raises(ConfigError) as e:
        parse_experiment(BAD, "bad.yaml")
    return str(e.value), "bad.yaml"


def test_yaml_error_english(tmp_path):
    text, path = _error(tmp_path)
    assert f"{path}:4:" in text and "layers[1].wrong: unknown field." in text


def test_yaml_error_chinese(tmp_path, chinese):
    text, path = _error(tmp_path)
    assert f"{path}:4:" in text and "layers[1].wrong: 未知字段" in text


def _linear_on_image():
    return summarize(NetworkSpec((1, 28, 28), (LayerSpec("Linear", {"out_features": 10}),))).problem_text


def test_shape_error_english():
    assert "Linear needs a flat vector" in _linear_on_image()


def test_shape_error_chinese(chinese):
    text = _linear_on_image()
    assert "需要一维向量" in text and "第 " in text
