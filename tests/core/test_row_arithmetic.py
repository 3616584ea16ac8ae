"""What the Build view shows beside the formulas, computed in the core: multiply-adds per output value, and the
shape a layer inserted somewhere would receive."""

from __future__ import annotations

from tui_dl.core.config.experiment import load_experiment
from tui_dl.core.model.shapes import summarize
from tui_dl.core.model.spec import LayerSpec, NetworkSpec


def _lenet():
    return summarize(load_experiment("tests/ui/data/lenet5.yaml").network)


def test_multiply_adds_per_output_value():
    s = _lenet()
    conv = s.row((0,))  # Conv2d 1→6, 5×5, padding 2: 6×28×28 outputs, 1·5·5 multiply-adds each
    assert conv.out_values == 4704 and conv.macs_per_output == 25 and conv.macs == 4704 * 25
    linear = next(r for r in s.rows if r.type == "Linear")  # 400 → 120
    assert linear.macs_per_output == 400 and linear.out_values == 120
    relu = s.row((1,))
    assert relu.macs == 0 and relu.macs_per_output is None  # nothing to say for a layer without multiply-adds


def test_no_per_output_figure_without_an_output_or_when_it_does_not_divide():
    bad = summarize(NetworkSpec((1, 28, 28), (LayerSpec("Linear", {"out_features": 10}),)))
    assert bad.rows[0].out_values is None and bad.rows[0].macs_per_output is None
    row = _lenet().row((0,))
    row.macs += 1  # not a whole number of multiply-adds per output value
    assert row.macs_per_output is None


def test_the_shape_a_new_layer_would_receive():
    s = _lenet()
    assert s.incoming_shape((0,)) == (1, 28, 28)  # before the first layer: the input
    assert s.incoming_shape((1,)) == s.row((1,)).in_shape == (6, 28, 28)  # where a layer is: what it receives
    end = (len(s.rows),)
    assert s.incoming_shape(end) == s.rows[-1].out_shape  # after the last one: what it sends
    res = summarize(NetworkSpec((8, 4, 4), (LayerSpec("Residual", {}, (LayerSpec("ReLU"),)),)))
    assert res.incoming_shape((0, 0)) == (8, 4, 4)  # the first layer inside a block gets the block's input
    assert res.incoming_shape((0, 1)) == res.row((0, 0)).out_shape
    empty = summarize(NetworkSpec((2,), ()))
    assert empty.incoming_shape((0,)) == (2,)
