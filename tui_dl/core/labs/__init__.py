"""The Learn labs: the course's ideas worked out on small numbers, every step written down.

One module per lab, each a set of plain functions that return frozen records (numbers, and the text lines that
show the formula, the formula with the numbers in it, and the result):

- :mod:`~tui_dl.core.labs.activations`: f(x) and f′(x) of every activation in the layer registry; softmax with a
  temperature.
- :mod:`~tui_dl.core.labs.conv`: 2-D convolution and pooling by hand (stride, padding, dilation, channels), the
  output-size formula with its numbers, what rounding down drops, max-pool's backward pass.
- :mod:`~tui_dl.core.labs.backprop`: the course's 2-3-1 network, one step of backpropagation.
- :mod:`~tui_dl.core.labs.losses`: MSE, MAE, cross-entropy, BCE and focal loss, with their gradients and curves.
- :mod:`~tui_dl.core.labs.optimizers`: GD, SGD, momentum, AdaGrad, RMSProp and Adam racing on 2-D surfaces
  (torch's own optimizers, imported only when a race runs; the surfaces themselves are plain Python).

Everything but the optimizer race is plain Python (no torch, no numpy), so the app can draw a lab instantly.
Bad input raises :class:`~tui_dl.core.labs.values.LabError`, whose ``field`` names the option at fault.
This package imports none of its modules, so importing one lab loads only what that lab needs.
"""

#: The lab names, in the order the Learn view and ``tui-dl lab`` list them.
LABS = ("activations", "softmax", "conv", "pool", "backprop", "losses", "optimizers")
