"""The CPU step choice (tui_dl/core/training/strategy.py, issue 19): the candidates, the choice by measured
img/s, the cache (keyed by CPU, cores, torch and the model), forcing with train.strategy, the app's candidates
(one core left to the UI thread unless split), and one real timing of a tiny model."""

from __future__ import annotations

import json
import time

import pytest
import torch

import tui_dl.core.device as device_module
import tui_dl.core.training.plan as P
import tui_dl.core.training.strategy as S
from tests.core.test_train import LENET, make_exp
from tui_dl.core.data import load_dataset
from tui_dl.core.model.build import build_model
from tui_dl.core.model.shapes import summarize

BN_LENET = LENET[:1] + [{"type": "BatchNorm2d"}] + LENET[1:]


@pytest.fixture(scope="module")
def digits():
    return load_dataset("synthetic-digits", num_samples=400, val_split=0.1, seed=0, input_shape=(1, 28, 28))


@pytest.fixture
def cores(monkeypatch):
    def set_cores(n):
        for mod in (device_module, P, S):
            monkeypatch.setattr(mod, "cpu_cores", lambda: n)
    set_cores(2)
    return set_cores


def setup(digits, layers=LENET, **train):
    train.setdefault("threads", 0)
    train.setdefault("epochs", 20)  # 20 × 6 steps: long enough to be timed (MIN_TIMED_STEPS patched below)
    exp = make_exp(layers, (1, 28, 28), {"name": "synthetic-digits"}, **train)
    summary = summarize(exp.network)
    torch.manual_seed(0)
    model = build_model(exp.network, summary=summary)
    plan = P.plan_run(exp, digits, device="cpu", model=model, summary=summary, cpu_load=lambda: None,
                      ui_thread=train.pop("_ui", False))
    return exp, model, plan, summary


def choose(digits, exp, model, plan, summary, tmp_path, measure, **kw):
    return S.choose_strategy(plan, exp, model, digits.train.x, digits.train.y, digits.mean, digits.std,
                             macs_per_step=summary.totals.macs * exp.train.batch_size, measure=measure,
                             cache_path=tmp_path / "cache.json", **kw)


@pytest.fixture(autouse=True)
def short_runs_timed(monkeypatch):
    monkeypatch.setattr(S, "MIN_TIMED_STEPS", 50)


def fake(speeds):
    """A measure() that returns the img/s of each candidate label, and records what it timed."""
    seen = []

    def measure(c):
        seen.append(c.label)
        return speeds[c.label]
    measure.seen = seen
    return measure


def test_candidates_on_two_cores_headless_and_in_the_app(digits, cores):
    exp, model, plan, summary = setup(digits)
    labels = [c.label for c in S.candidates(plan, exp, 10**9, ui_thread=False, has_conv=True)]
    assert labels == ["split×2, channels-last", "split×2", "threads×2, channels-last", "threads×2"]
    app = [c.label for c in S.candidates(plan, exp, 10**9, ui_thread=True, has_conv=True)]
    # the app: lanes over both cores (they do not spin), or one model leaving a core to the UI thread
    assert app == ["split×2, channels-last", "split×2", "threads×1, channels-last", "threads×1"]


def test_no_split_candidates_when_the_network_cannot_be_split(digits, cores):
    exp, model, plan, summary = setup(digits, BN_LENET)
    labels = [c.label for c in S.candidates(plan, exp, 10**9, ui_thread=False, has_conv=True)]
    assert labels == ["threads×2, channels-last", "threads×2"]


def test_channels_last_set_in_the_file_is_not_timed_both_ways(digits, cores):
    exp, model, plan, summary = setup(digits, channels_last=False)
    labels = [c.label for c in S.candidates(plan, exp, 10**9, ui_thread=False, has_conv=True)]
    assert labels == ["split×2", "threads×2"]


def test_the_fastest_candidate_is_chosen_and_reported(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits)
    m = fake({"split×2, channels-last": 900.0, "split×2": 1000.0, "threads×2, channels-last": 1500.0,
              "threads×2": 1200.0})
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, m)
    assert ch.how == "timed" and ch.chosen.label == "threads×2, channels-last"
    assert (new.step, new.lanes, new.threads, new.torch_threads, new.channels_last) == ("plain", 1, 2, 2, True)
    assert "fastest step on this CPU: threads×2, channels-last (threads×2, channels-last 1,500 img/s" in \
        new.notices[-1].message
    d = ch.to_dict()
    assert d["timings_images_per_second"]["split×2"] == 1000.0 and d["how"] == "timed"
    assert torch.get_num_threads() == torch.get_num_threads()  # the thread count was restored (no exception)


def test_a_split_winner_sets_lanes(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits)
    m = fake({"split×2, channels-last": 900.0, "split×2": 2000.0, "threads×2, channels-last": 1500.0,
              "threads×2": 1200.0})
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, m)
    assert (new.step, new.lanes, new.threads, new.torch_threads, new.channels_last) == ("split", 2, 2, 1, False)


def test_the_answer_is_cached_and_reused_without_timing(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits)
    speeds = {"split×2, channels-last": 900.0, "split×2": 2000.0, "threads×2, channels-last": 1500.0,
              "threads×2": 1200.0}
    choose(digits, exp, model, plan, summary, tmp_path, fake(speeds))
    cache = json.loads((tmp_path / "cache.json").read_text())
    (entry,) = cache.values()
    assert entry["choice"] == "split×2" and entry["cores"] == 2 and entry["torch"] == torch.__version__
    again = fake(speeds)
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, again)
    assert again.seen == [] and ch.how == "cached" and ch.chosen.label == "split×2"
    assert "(cached)" in new.notices[-1].message and "split×2 2,000 img/s" in new.notices[-1].message


def test_the_cache_key_changes_with_cpu_cores_torch_and_model(digits, cores, monkeypatch):
    exp, model, plan, summary = setup(digits)
    cands = S.candidates(plan, exp, 10**9, ui_thread=False, has_conv=True)
    key = S.cache_key(exp, cands)
    other_bs = make_exp(LENET, (1, 28, 28), {"name": "synthetic-digits"}, threads=0, batch_size=32)
    other_net = make_exp(LENET[:-1] + [{"type": "Linear", "out_features": 5}], (1, 28, 28),
                         {"name": "synthetic-digits"}, threads=0)
    keys = {key, S.cache_key(other_bs, cands), S.cache_key(other_net, cands), S.cache_key(exp, cands, cores=8),
            S.cache_key(exp, cands[2:])}
    with monkeypatch.context() as mp:
        mp.setattr(S, "cpu_model", lambda: "Some Other CPU")
        keys.add(S.cache_key(exp, cands))
    with monkeypatch.context() as mp:
        mp.setattr(torch, "__version__", "0.0.1")
        keys.add(S.cache_key(exp, cands))
    assert len(keys) == 7


def test_a_damaged_or_unwritable_cache_never_fails_the_run(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits)
    speeds = {"split×2, channels-last": 1.0, "split×2": 2.0, "threads×2, channels-last": 3.0, "threads×2": 4.0}
    (tmp_path / "cache.json").write_text("{not json")
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake(speeds))
    assert ch.how == "timed" and ch.chosen.label == "threads×2"
    blocked = tmp_path / "file"
    blocked.write_text("")
    new, ch = S.choose_strategy(plan, exp, model, digits.train.x, digits.train.y, digits.mean, digits.std,
                                macs_per_step=10**9, measure=fake(speeds), cache_path=blocked / "x" / "c.json")
    assert ch.how == "timed"


@pytest.mark.parametrize("want,kind,lanes", [("split", "split", 2), ("threads", "plain", 1)])
def test_train_strategy_forces_one_without_timing(digits, cores, tmp_path, want, kind, lanes):
    exp, model, plan, summary = setup(digits, strategy=want)
    m = fake({})
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, m)
    assert m.seen == [] and ch.how == "forced" and (new.step, new.lanes) == (kind, lanes)
    assert "step set by train.strategy" in new.notices[-1].message


def test_forcing_split_on_an_unsplittable_network_says_why(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits, BN_LENET, strategy="split")
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake({}))
    assert new.lanes == 1 and "BatchNorm" in new.notices[-1].message


def test_short_runs_resumed_runs_and_one_thread_keep_the_plan(digits, cores, tmp_path, monkeypatch):
    exp, model, plan, summary = setup(digits, epochs=1)
    monkeypatch.setattr(S, "MIN_TIMED_STEPS", 400)
    m = fake({})
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, m)
    assert new is plan and ch.how == "default" and "short run" in ch.reason and m.seen == []
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, m, resumed=True)
    assert new is plan and "resumed" in ch.reason
    exp1, model1, plan1, summary1 = setup(digits, threads=1, channels_last=True)
    new, ch = choose(digits, exp1, model1, plan1, summary1, tmp_path, m)
    assert new is plan1 and ch.reason == "one candidate"


def test_precision_hook_adds_nothing_until_the_steps_run_bf16(digits, cores):
    exp, model, plan, summary = setup(digits)
    assert S.precision_candidates(exp, S.candidates(plan, exp, 10**9, ui_thread=False, has_conv=True)) == []


def test_a_real_timing_of_a_tiny_model_leaves_the_run_untouched(digits, cores, tmp_path):
    # one thread (the machine running the tests is shared): the candidates are channels-last on and off
    exp, model, plan, summary = setup(digits, batch_size=32, threads=1)
    warm = torch.nn.Linear(2, 1)  # a process's first optimizer step imports torch's compiler (seconds, once)
    torch.optim.Adam(warm.parameters()).step()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    rng = torch.random.get_rng_state()
    threads = torch.get_num_threads()
    t0 = time.perf_counter()
    new, ch = S.choose_strategy(plan, exp, model, digits.train.x, digits.train.y, digits.mean, digits.std,
                                macs_per_step=summary.totals.macs * 32, cache_path=tmp_path / "c.json")
    assert time.perf_counter() - t0 < 2.0
    assert ch.how == "timed" and len(ch.timings) == 2 and all(v > 0 for _, v in ch.timings)
    assert ch.chosen.label == max(ch.timings, key=lambda kv: kv[1])[0]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert torch.equal(rng, torch.random.get_rng_state()) and torch.get_num_threads() == threads


def test_a_near_tie_keeps_the_plans_own_step(digits, cores, tmp_path):
    exp, model, plan, summary = setup(digits)
    assert (plan.lanes, plan.channels_last) == (2, True)  # the plan's own: split×2, channels-last
    speeds = {"split×2, channels-last": 1000.0, "split×2": 900.0, "threads×2, channels-last": 1030.0,
              "threads×2": 800.0}
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake(speeds))
    assert ch.chosen.label == "split×2, channels-last"  # 3% faster is within MARGIN
    speeds["threads×2, channels-last"] = 1400.0  # OpenMP threads must beat lanes by SPIN_MARGIN (1.5×)
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake(speeds), use_cache=False)
    assert ch.chosen.label == "split×2, channels-last"
    speeds["split×2"] = 1080.0  # lanes without channels-last: 8% faster, more than MARGIN
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake(speeds), use_cache=False)
    assert ch.chosen.label == "split×2"
    speeds["threads×2, channels-last"] = 1600.0
    new, ch = choose(digits, exp, model, plan, summary, tmp_path, fake(speeds), use_cache=False)
    assert ch.chosen.label == "threads×2, channels-last"


def test_a_run_trains_with_the_choice_and_records_it(digits, tmp_path, monkeypatch):
    """iter_training: the chosen step is the one that trains, the header notice and summary.json say so."""
    from tui_dl.core.training.events import Notice
    from tui_dl.core.training.loop import iter_training

    monkeypatch.setattr(S, "MIN_TIMED_STEPS", 1)
    monkeypatch.setattr(S, "time_candidate", lambda c, *a, **k: 1000.0 if c.channels_last else 2000.0)
    exp = make_exp(LENET, (1, 28, 28), {"name": "synthetic-digits"}, threads=1, epochs=1, limit_batches=2,
                   checkpoints=False)
    events = list(iter_training(exp, run_dir=tmp_path / "run", data=digits))
    notes = [e.message for e in events if isinstance(e, Notice)]
    assert any(n.startswith("fastest step on this CPU: threads×1 (threads×1 2,000 img/s") for n in notes), notes
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert s["strategy"]["choice"] == "threads×1" and s["strategy"]["how"] == "timed"
    assert s["channels_last"] is False and s["threads"] == 1
