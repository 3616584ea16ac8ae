"""Inside the trained model: what a finished run predicts, what its layers see, and how little it takes to fool it.

Modules
    model_io   load_trained(run folder or .pt): the network in eval mode, its experiment, the test set, and
               ``Normalized``, the network with the input normalisation folded in (it takes images in [0, 1])
    gallery    predictions over the test set and the gallery's filters (all, by class, mistakes, most
               confident mistakes, a confusion-matrix cell)
    features   one image's feature maps (forward hooks), the first layer's filters, the class probabilities
    attacks    FGSM, PGD, targeted attacks, accuracy against ε, the smallest ε that flips an image
    attack_settings  the ε list, the methods, ε/σ and the convention sentence, without torch

The pictures themselves (half-block cells) are drawn by :mod:`tui_dl.core.pictures`, which needs no torch.
Importing this package loads nothing; each module imports torch.
"""
