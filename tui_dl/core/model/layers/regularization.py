"""Regularisation layers: Dropout and Dropout2d."""

from __future__ import annotations

from tui_dl.core.config.fields import Field
from tui_dl.core.i18n import N_, _
from tui_dl.core.model.layers.base import LayerKind, _need_image, register
from tui_dl.core.model.layers.activation import _act_builder, _identity_shape

DROPOUT_FIELDS = (Field("p", "float", 0.5, N_("probability of zeroing each value"), min=0, max=1),)
DROPOUT2D_FIELDS = (Field("p", "float", 0.5, N_("probability of zeroing each channel"), min=0, max=1),)


def _infer_dropout2d(in_shape, a):
    _need_image(in_shape, "Dropout2d")
    calc = _identity_shape(in_shape)
    calc.shape_formula = [_("shape unchanged; in training each whole channel is zeroed with p={p}").format(p=a['p'])]
    return calc


def _infer_dropout(in_shape, a):
    calc = _identity_shape(in_shape)
    calc.shape_formula = [_("shape unchanged; in training each value is zeroed with p={p} "
                            "and the rest scaled by 1/(1−p)").format(p=a['p'])]
    return calc


def _label_dropout(layer, inf: dict) -> str:
    return f"{layer.type} p={layer.params.get('p', DROPOUT_FIELDS[0].default)}"


register(LayerKind(
    "Dropout", "regularization", N_("randomly zeroes values while training (off at evaluation)"),
    DROPOUT_FIELDS, _infer_dropout, _act_builder("Dropout", "p"),
    math=N_("train: y = x·m/(1−p), m ~ Bernoulli(1−p);  eval: y = x"), label=_label_dropout,
))
register(LayerKind(
    "Dropout2d", "regularization", N_("randomly zeroes whole channels while training"),
    DROPOUT2D_FIELDS, _infer_dropout2d, _act_builder("Dropout2d", "p"),
    math=N_("train: zero whole channels with probability p"), label=_label_dropout,
))
