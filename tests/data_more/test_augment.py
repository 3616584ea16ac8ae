"""data.augment (issue 17, item 7): per-batch on-device augmentation, deterministic under a seed, changing the
images, exact for shifts and mirrors; refused for non-image data; a run with it trains."""

from __future__ import annotations

import pytest
import torch

from tui_dl.core.data.augment import Augmenter, augment_batch, with_augment


def _batch(n=16, c=3, h=32, w=32):
    return torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(1))


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another():
    x = _batch()
    for ops in (["crop"], ["flip"], ["affine"], ["crop", "flip", "affine"]):
        a, b = augment_batch(x, ops, _gen(0)), augment_batch(x, ops, _gen(0))
        assert torch.equal(a, b), ops
        assert not torch.equal(a, augment_batch(x, ops, _gen(1))), ops
        assert a.shape == x.shape and not torch.equal(a, x), ops  # the images change


def test_flip_mirrors_exactly_and_crop_shifts_by_whole_pixels():
    x = _batch(n=64)
    out = augment_batch(x, ["flip"], _gen(0))
    flipped = [torch.equal(out[i], x[i].flip(-1)) for i in range(64)]
    same = [torch.equal(out[i], x[i]) for i in range(64)]
    assert all(f or s for f, s in zip(flipped, same)) and 10 < sum(flipped) < 54  # about half, exactly
    out = augment_batch(x, ["crop"], _gen(0))
    p = 4  # 32 / 8
    for i in range(8):  # each image is the padded image cropped at some offset
        padded = torch.nn.functional.pad(x[i], (p, p, p, p))
        hits = [(dy, dx) for dy in range(2 * p + 1) for dx in range(2 * p + 1)
                if torch.equal(padded[:, dy:dy + 32, dx:dx + 32], out[i])]
        assert hits, i


def test_the_augmenter_is_reproducible_across_runs_and_starts_where_a_resume_would():
    x = _batch()
    a1 = Augmenter(lambda t: t, ["crop", "flip"], seed=3, device=torch.device("cpu"))
    a2 = Augmenter(lambda t: t, ["crop", "flip"], seed=3, device=torch.device("cpu"))
    first = [a1(x) for _ in range(3)]
    assert all(torch.equal(u, a2(x)) for u in first)
    assert not torch.equal(first[0], first[1])  # each batch its own draw
    resumed = Augmenter(lambda t: t, ["crop", "flip"], seed=3, device=torch.device("cpu"), start=2)
    assert torch.equal(resumed(x), first[2])


def test_augment_needs_images():
    with pytest.raises(ValueError, match="works on images"):
        with_augment(lambda t: t, ["flip"], 0, "cpu", (2,))
    assert with_augment(len, None, 0, "cpu", (2,)) is len


def test_a_run_with_augment_trains_and_is_deterministic(tmp_path):
    from tui_dl.core.config.experiment import parse_experiment
    from tui_dl.core.training.events import EpochDone
    from tui_dl.core.training.loop import iter_training

    text = """
name: aug
input: [1, 28, 28]
layers: [{type: Conv2d, out_channels: 4, kernel_size: 5, padding: 2}, {type: ReLU},
         {type: MaxPool2d, kernel_size: 4}, {type: Flatten}, {type: Linear, out_features: 10}]
data: {name: synthetic-digits, num_samples: 200, val_split: 0.1, augment: [crop, affine]}
train: {epochs: 1, batch_size: 32, threads: 1, checkpoints: false}
"""
    runs = [[e for e in iter_training(parse_experiment(text, "a.yaml"), run_dir=tmp_path / k)
             if isinstance(e, EpochDone)] for k in "ab"]
    assert runs[0][0].train_loss == runs[1][0].train_loss
    plain = [e for e in iter_training(parse_experiment(text.replace(", augment: [crop, affine]", ""), "a.yaml"),
                                      run_dir=tmp_path / "c") if isinstance(e, EpochDone)]
    assert plain[0].train_loss != runs[0][0].train_loss  # the augmentation was applied


def test_the_cifar_preset_checks(tmp_path):
    from tui_dl.core.config.experiment import load_experiment
    from tui_dl.core.model.shapes import summarize

    exp = load_experiment("presets/cifar10_resnet.yaml")
    assert exp.data.name == "cifar10" and exp.data.augment == ["crop", "flip"]
    assert summarize(exp.network).ok
