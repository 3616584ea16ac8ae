"""FGSM, PGD and targeted attacks (core/insight/attacks.py): the perturbation against autograd on a tiny model, and
on a small LeNet trained with the real engine on synthetic digits (the session's ``insight_run``): ε = 0 gives the
clean accuracy exactly, accuracy falls as ε grows, PGD is at least as strong as FGSM, a targeted attack raises the
target's probability, the adversarial image stays in [0, 1]."""

from __future__ import annotations

import threading

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tui_dl.core.insight import attacks as A
from tui_dl.core.insight.attack_settings import CONVENTION, DEFAULT_EPS, eps_over_std, parse_eps
from tui_dl.core.insight.gallery import predictions
from tui_dl.core.insight.model_io import Normalized, load_trained


@pytest.fixture(scope="module")
def trained(insight_run):
    return load_trained(insight_run[0])


@pytest.fixture(scope="module")
def clean(trained):
    return predictions(trained)


# ----------------------------------------------------------------------------- the formula, on a tiny model


def tiny():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))
    return Normalized(net, (0.3,), (0.2,)).eval()


def test_fgsm_is_eps_times_the_sign_of_the_input_gradient_from_autograd():
    model = tiny()
    g = torch.Generator().manual_seed(1)
    x = torch.rand(5, 1, 4, 4, generator=g)
    x[0, 0, 0, :2] = torch.tensor([0.0, 1.0])  # pixels at the edges of [0, 1]: the clamp cuts some steps
    y = torch.tensor([0, 1, 2, 1, 0])
    eps = 0.07
    adv = A.fgsm(model, x, y, eps, F.cross_entropy)
    for i in range(5):  # each image's gradient of its own loss, by autograd, one image at a time
        xi = x[i:i + 1].clone().requires_grad_(True)
        F.cross_entropy(model(xi), y[i:i + 1]).backward()
        want = (x[i] + eps * xi.grad[0].sign()).clamp(0, 1)
        assert torch.equal(adv.sign[i], xi.grad[0].sign())
        assert torch.allclose(adv.x_adv[i], want, atol=0, rtol=0)
    # the step is exactly ±ε where the clamp did not cut, and the cut pixels are those pushed out of [0, 1]
    raw = x + eps * adv.sign
    assert torch.equal(adv.cut, (raw < 0) | (raw > 1))
    step = (adv.x_adv - x)[~adv.cut & (adv.sign != 0)].abs()
    assert torch.allclose(step, torch.full_like(step, eps), atol=1e-6)
    # the normalisation is folded in: the gradient is with respect to the pixels, through (x − 0.3)/0.2
    xa = x.clone().requires_grad_(True)
    F.cross_entropy(model.net((xa - 0.3) / 0.2), y, reduction="sum").backward()
    assert torch.equal(A.input_gradient(model, x, y, F.cross_entropy).sign(), xa.grad.sign())


def test_eps_zero_leaves_the_image_alone_and_a_targeted_step_goes_down_the_target_loss():
    model = tiny()
    x = torch.rand(3, 1, 4, 4, generator=torch.Generator().manual_seed(2))
    y = torch.tensor([0, 1, 2])
    assert torch.equal(A.fgsm(model, x, y, 0.0, F.cross_entropy).x_adv, x)
    assert torch.equal(A.pgd(model, x, y, 0.0, F.cross_entropy).x_adv, x)
    target = torch.full((3,), 2)
    t = A.fgsm(model, x, target, 0.05, F.cross_entropy, targeted=True)
    assert torch.equal(t.sign, -A.input_gradient(model, x, target, F.cross_entropy).sign())
    with torch.no_grad():
        before = F.cross_entropy(model(x), target)
        after = F.cross_entropy(model(t.x_adv), target)
    assert after < before


def test_pgd_with_one_step_of_eps_and_no_random_start_is_fgsm():
    model = tiny()
    x = torch.rand(4, 1, 4, 4, generator=torch.Generator().manual_seed(3))
    y = torch.tensor([0, 1, 2, 0])
    one = A.pgd(model, x, y, 0.1, F.cross_entropy, steps=1, step_size=0.1, random_start=False)
    assert torch.equal(one.x_adv, A.fgsm(model, x, y, 0.1, F.cross_entropy).x_adv)
    many = A.pgd(model, x, y, 0.1, F.cross_entropy, steps=7, generator=torch.Generator().manual_seed(0))
    assert (many.x_adv - x).abs().max() <= 0.1 + 1e-6 and many.x_adv.min() >= 0 and many.x_adv.max() <= 1


# ----------------------------------------------------------------------------- on the trained LeNet


def test_eps_zero_gives_the_clean_accuracy_exactly(trained, clean, insight_run):
    curve = A.accuracy_vs_eps(trained, [0.0, 0.1])
    assert curve.n == trained.n_test == clean.n
    assert curve.accuracy[0] == clean.accuracy == curve.clean_accuracy
    # ... which is the run's own test accuracy (evaluated by the engine): at most one image apart
    assert abs(curve.accuracy[0] - insight_run[1].test_accuracy) <= 1 / curve.n + 1e-12


def test_accuracy_falls_as_eps_grows(trained):
    curve = A.accuracy_vs_eps(trained, DEFAULT_EPS)
    acc = curve.accuracy
    assert acc[0] > 0.85, acc  # the net learned the digits
    assert all(b <= a for a, b in zip(acc, acc[1:])), acc
    assert acc[2] < acc[0] - 0.2 and acc[-1] < 0.25, acc
    assert curve.flipped[0] == [] and len(curve.flipped[3]) == 5
    js = curve.to_json()
    assert list(js)[:3] == ["eps", "accuracy", "n"] and js["eps"] == list(DEFAULT_EPS) and js["n"] == trained.n_test
    assert js["convention"] == CONVENTION and js["method"] == "fgsm"


def test_pgd_is_at_least_as_strong_as_fgsm(trained):
    eps = [0.05, 0.1]
    f = A.accuracy_vs_eps(trained, eps, limit=200)
    p = A.accuracy_vs_eps(trained, eps, method="pgd", steps=5, limit=200)
    assert all(pa <= fa for pa, fa in zip(p.accuracy, f.accuracy)), (p.accuracy, f.accuracy)
    assert p.accuracy[1] < f.accuracy[1]
    assert p.to_json()["steps"] == 5 and p.to_json()["step_size_rule"] == "2.5 * eps / steps"


def test_adversarial_images_stay_in_0_1(trained):
    x, y = trained.images(slice(0, 64)), trained.labels(slice(0, 64))
    for method in ("fgsm", "pgd"):
        for eps in (0.1, 0.3, 1.0):
            adv = A.attack(trained, x, y, eps, method=method, steps=3)
            assert adv.x_adv.min() >= 0 and adv.x_adv.max() <= 1
            assert (adv.x_adv - x).abs().max() <= eps + 1e-6
    ex = A.example(trained, 0, 0.2)
    assert ex.adversarial.min() >= 0 and ex.adversarial.max() <= 1 and ex.cut_pixels > 0


def test_a_targeted_attack_raises_the_targets_probability(trained, clean):
    target = 3
    others = [i for i in range(40) if int(clean.y[i]) != target][:10]
    for i in others:
        ex = A.example(trained, i, 0.1, target=target)
        assert ex.probs_after[target] > ex.probs_before[target], i
    curve = A.accuracy_vs_eps(trained, [0.0, 0.1, 0.2], target=target, limit=300)
    assert curve.target_rate[0] == 0.0 and curve.target_rate[1] < curve.target_rate[2]
    assert curve.target_rate[2] > 0.3
    with pytest.raises(ValueError, match="not a class"):
        A.accuracy_vs_eps(trained, [0.1], target=10)


def test_one_example_before_and_after(trained, clean):
    i = next(k for k in range(50) if clean.correct[k])
    ex = A.example(trained, i, 0.3)
    assert ex.before == int(clean.pred[i]) and ex.true == int(clean.y[i])
    assert ex.before_confidence == pytest.approx(float(clean.confidence[i]), abs=1e-5)
    assert ex.fooled == (ex.after != ex.true)
    assert ex.eps_over_std == pytest.approx((0.3 / trained.std[0],))
    assert sum(ex.probs_after) == pytest.approx(1.0, abs=1e-5)


def test_the_smallest_eps_that_flips_an_image(trained, clean):
    wrong = next(k for k in range(trained.n_test) if not clean.correct[k])
    right = [k for k in range(40) if clean.correct[k]][:8]
    found = A.smallest_eps(trained, [wrong] + right)
    assert found[0] == 0.0
    for i, e in zip(right, found[1:]):
        assert e is not None and 0 < e <= 1
        assert A.example(trained, i, e).after != int(clean.y[i])  # it really flips at that ε
    assert A.smallest_eps(trained, right, hi=1e-4) == [None] * len(right)


def test_progress_and_stopping(trained):
    seen = []
    A.accuracy_vs_eps(trained, [0.0, 0.1], batch_size=200, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    stop = threading.Event()
    stop.set()
    assert A.accuracy_vs_eps(trained, [0.1], should_stop=stop) is None
    assert A.accuracy_vs_eps(trained, [0.1], should_stop=lambda: True) is None
    assert A.smallest_eps(trained, [0, 1], should_stop=stop) is None


def test_eps_lists_are_checked():
    assert parse_eps("0,0.05, 0.1") == [0.0, 0.05, 0.1]
    assert parse_eps([0, 1]) == [0.0, 1.0]
    for bad, words in [("2", "outside [0, 1]"), ("-0.1", "outside"), ("abc", "not a number"), ("", "at least one"),
                       ("0,,1", "empty value"), ("nan", "outside"), ("inf", "outside")]:
        with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
            parse_eps(bad)
    assert eps_over_std(0.1, (0.5, 0.25)) == (0.2, 0.4) and eps_over_std(0.1, ()) == (0.1,)
