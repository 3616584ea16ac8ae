"""The labs of the Learn view, one module per lab (two share ``conv_lab``'s sliding window), each a
:class:`~tui_dl.app.views.learn.base.LabPane` that draws what :mod:`tui_dl.core.labs` computes."""

from __future__ import annotations

from tui_dl.app.views.learn.activations_lab import ActivationsLab, SoftmaxLab
from tui_dl.app.views.learn.backprop_lab import BackpropLab
from tui_dl.app.views.learn.conv_lab import ConvLab
from tui_dl.app.views.learn.losses_lab import LossesLab
from tui_dl.app.views.learn.optimizers_lab import OptimizersLab
from tui_dl.app.views.learn.pool_lab import PoolLab

#: The lab panes by name (the names and their order: tui_dl.core.labs.LABS).
PANES = {p.LAB: p for p in (ActivationsLab, SoftmaxLab, ConvLab, PoolLab, BackpropLab, LossesLab, OptimizersLab)}
