"""The optimizers lab: the d2l.ai golden cases to 6 decimals, torch's own optimizers, the textbook variants, the
surfaces' gradients against autograd, and the race's JSON."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_dl.core.labs.optimizers import DIFFERS, OPTIMIZERS, race, run
from tui_dl.core.labs.surfaces import SURFACES, quadratic, resolve_surface
from tui_dl.core.labs.values import LabError

START = (-5.0, -2.0)
F2 = quadratic(1, 2)        # d2l: f = x1² + 2·x2²
BOWL = quadratic(0.1, 2)    # d2l: f = 0.1·x1² + 2·x2²


def _end(path) -> tuple[str, str]:
    return tuple(f"{v:.6f}".replace("-0.000000", "0.000000") for v in path.end)


@pytest.mark.parametrize("name, surface, kw, want", [
    ("gd", F2, {"lr": 0.1}, ("-0.057646", "-0.000073")),
    ("gd", BOWL, {"lr": 0.4}, ("-0.943467", "-0.000073")),
    ("momentum", BOWL, {"lr": 0.6, "momentum": 0.5}, ("0.007188", "0.002553")),
    ("adagrad", BOWL, {"lr": 0.4, "variant": "textbook"}, ("-2.382563", "-0.158591")),
    ("rmsprop", BOWL, {"lr": 0.4, "gamma": 0.9, "variant": "textbook"}, ("-0.010599", "0.000000")),
])
def test_d2l_golden_cases(name, surface, kw, want):
    """d2l.ai, chapter "Optimization Algorithms": 20 steps from (−5, −2); its AdaGrad and RMSProp put ε = 1e-6
    inside the square root (the textbook variant); momentum is torch's own v ← β·v + g."""
    path = run(name, surface, 20, start=START, **kw)
    assert _end(path) == want
    assert path.variant == ("textbook" if kw.get("variant") == "textbook" else "torch")


def test_torch_puts_epsilon_elsewhere_and_it_shows_in_the_sixth_decimal():
    assert _end(run("adagrad", BOWL, 20, start=START, lr=0.4)) == ("-2.382562", "-0.158591")
    assert _end(run("rmsprop", BOWL, 20, start=START, lr=0.4, gamma=0.9)) == ("-0.010598", "0.000000")


def test_torch_runs_are_torch_optim():
    """A hand-written loop with torch.optim.Adam gives the same path."""
    surf = SURFACES["rosenbrock"]
    p = torch.tensor(surf.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.05)
    for _ in range(30):
        opt.zero_grad()
        surf_t = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        surf_t.backward()
        opt.step()
    assert run("adam", surf, 30, lr=0.05).end == pytest.approx(tuple(p.detach().tolist()), rel=1e-12)


def test_textbook_momentum_is_the_courses_average():
    tb = run("momentum", BOWL, 1, start=START, lr=0.5, momentum=0.9, variant="textbook")
    torch_ = run("momentum", BOWL, 1, start=START, lr=0.5, momentum=0.9)
    g = BOWL.grad(*START)
    assert tb.steps[0].state["v"] == pytest.approx((0.1 * g[0], 0.1 * g[1]))  # (1 − β)·g
    assert torch_.steps[0].state["v"] == pytest.approx(g)                     # torch: v = g on the first step
    assert "(1 − 0.9)·" in "\n".join(tb.rule_lines(1))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(SURFACES)), x=st.floats(-3, 3), y=st.floats(-3, 3))
def test_surface_gradients_match_autograd(name, x, y):
    surf = SURFACES[name]
    p = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
    xs, ys = p[0], p[1]
    exprs = {"bowl": lambda: 0.1 * xs ** 2 + 2 * ys ** 2, "rosenbrock": lambda: (1 - xs) ** 2 + 100 * (ys - xs ** 2) ** 2,
             "saddle": lambda: xs ** 2 + (ys ** 2 - 1) ** 2 / 4,
             "minima": lambda: (xs ** 2 + ys - 11) ** 2 + (xs + ys ** 2 - 7) ** 2}
    v = exprs[name]()
    v.backward()
    assert math.isclose(surf.f(x, y), v.item(), rel_tol=1e-12, abs_tol=1e-12)
    assert surf.grad(x, y) == pytest.approx(tuple(p.grad.tolist()), rel=1e-12, abs=1e-12)


def test_every_surface_has_its_minima_at_zero_and_a_gradient_of_zero_there():
    assert set(SURFACES) == {"bowl", "rosenbrock", "saddle", "minima"}
    for surf in SURFACES.values():
        for m in surf.minima:
            assert surf.f(*m) < 1e-9 and max(map(abs, surf.grad(*m))) < 1e-4
        assert set(surf.lrs) == set(OPTIMIZERS)
    assert SURFACES["saddle"].grad(0, 0) == (0, 0) and SURFACES["saddle"].f(0, 0) > 0


def test_race_json_shape_and_steps_to_tolerance():
    r = race("bowl", 200, variant="both")
    js = json.loads(json.dumps(r.to_json()))
    assert set(js) == {"surface", "start", "steps", "results"}
    assert js["surface"] == "bowl" and js["start"] == [-5.0, -2.0] and js["steps"] == 200
    assert set(js["results"]) == set(OPTIMIZERS) | {f"{n}_textbook" for n in DIFFERS}
    for res in js["results"].values():
        assert set(res) == {"end", "loss", "steps_to_tol"} and len(res["end"]) == 2
    gd = r.paths["gd"]
    k = gd.steps_to_tol
    assert k is not None and gd.losses[k] <= 1e-3 < gd.losses[k - 1]
    assert "torch vs the textbook:" in "\n".join(r.lines())


def test_a_diverging_optimizer_stops_with_a_null_loss():
    p = run("gd", "rosenbrock", 50, lr=0.1)
    assert p.diverged and p.loss is None and p.steps_to_tol is None
    assert all(math.isfinite(v) for v in p.end)
    assert race("rosenbrock", 50, optimizers=["gd"], lr=0.1).to_json()["results"]["gd"]["loss"] is None


def test_sgd_noise_is_seeded_and_rule_lines_show_numbers():
    a, b = run("sgd", "bowl", 10, seed=1), run("sgd", "bowl", 10, seed=1)
    assert a.points == b.points != run("sgd", "bowl", 10, seed=2).points
    assert run("sgd", "bowl", 10, noise=0).points == run("gd", "bowl", 10, lr=0.05).points
    lines = run("adam", "bowl", 3).rule_lines(2)
    assert lines[0].startswith("adam step 2:") and any(ln.strip().startswith("m̂ = m/(1 − 0.9^2)") for ln in lines)


def test_bad_input_names_the_field():
    cases = [(lambda: resolve_surface("volcano"), "surface"), (lambda: race("bowl", 0), "steps"),
             (lambda: race("bowl", 5, optimizers=["lion"]), "only"), (lambda: race("bowl", 5, variant="x"), "variant"),
             (lambda: race("bowl", 5, lr=-1), "lr"), (lambda: race("bowl", 5, momentum=1.5), "momentum"),
             (lambda: resolve_surface("quadratic:1"), "surface")]
    for fn, field in cases:
        with pytest.raises(LabError) as e:
            fn()
        assert e.value.field == field
    assert resolve_surface("quadratic:1,2").f(1, 1) == 3
