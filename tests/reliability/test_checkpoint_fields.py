"""Fuzz a real checkpoint field by field (tests/reliability/checkpoint_mutations.py): every field deleted, given
the wrong kind of value, a tensor of the wrong shape or dtype, a list emptied. For --resume, predict, export and
attack, each mutated checkpoint works or ends in exit 2 with ``PATH: this checkpoint is damaged: FIELD``; never a
traceback. Here: every mutation through the field check, the cases named in issue 21 through all four commands,
and a seeded sample of the rest; ``python -m benchmarks.faults`` runs every mutation through every command."""

from __future__ import annotations

import shutil

import pytest
import torch

from tests.reliability.checkpoint_mutations import (COMMANDS, command_args, judge, make_base_run, mutations,
                                                    sample)
from tests.reliability.helpers import OUTCOMES, cli, fault
from tui_dl.core.runs.checkpoint_check import DamagedCheckpoint, check_fields


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    b = make_base_run(tmp_path_factory.mktemp("fields"))
    b["ckpt"] = torch.load(b["run"] / "last.pt", weights_only=True)
    return b


def run_mutated(base, tmp_path, command, ckpt) -> tuple[int, str]:
    d = tmp_path / f"run-{command}"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(base["run"], d)
    torch.save(ckpt, d / "last.pt")
    (d / "best.pt").unlink(missing_ok=True)
    try:
        rc, _, err = cli(*command_args(command, d, d / "last.pt", base["image"], d))
    except AssertionError as e:  # a traceback: cli() raised
        return -1, str(e)
    return rc, err


def test_the_mutations_reach_every_field(base):
    muts = mutations(base["ckpt"])
    fields = {f.split(".")[0].split("[")[0] for f, _, _ in muts}
    assert fields == set(base["ckpt"]), set(base["ckpt"]) - fields
    assert len(muts) > 400


def test_every_mutation_passes_the_field_check_or_names_a_field(base):
    """check_fields on all of them (no files, no torch.load): either the checkpoint is still one tui-dl could have
    written, or DamagedCheckpoint names a field."""
    named = 0
    for field, what, m in mutations(base["ckpt"]):
        try:
            check_fields(m)
        except DamagedCheckpoint as e:
            named += 1
            assert e.field and e.problem, (field, what)
    fault("checkpoint field fuzz: field check", len(mutations(base["ckpt"])))
    assert named > 200


def _edit(ck, path, value):
    import copy

    m = copy.deepcopy(ck)
    node = m
    for p in path[:-1]:
        node = node[p]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return m


NAMED = {  # the cases issue 21 names, and the field each must be refused by
    "a list where a dict is expected": (("best",), [1, 2], "best"),
    "a string for an epoch": (("position", "epoch"), "3", "position.epoch"),
    "a wrong-shaped weight": (("model", "1.weight"), torch.zeros(3, 3), ""),  # (model, or best_model beside it)
    "a missing optimizer group": (("optimizer", "param_groups"), [], "optimizer.param_groups"),
    "a wrong-shaped optimizer state": (("optimizer", "state", 0, "exp_avg"), torch.zeros(2), "optimizer.state.0"),
    "a scheduler value of the wrong kind": (("scheduler", "gamma"), "0.1", "scheduler.gamma"),
    "a deleted rng state": (("rng", "numpy"), KeyError, "rng.numpy"),
    "history rows out of order": (("history", 0, "epoch"), 5, "history"),
}


@pytest.mark.parametrize("case", list(NAMED))
def test_the_named_damage_is_refused_by_field(case, base, tmp_path):
    path, value, field = NAMED[case]
    m = _edit(base["ckpt"], path, value)
    fault(f"checkpoint field fuzz: {case}")
    for command in COMMANDS:
        rc, err = run_mutated(base, tmp_path, command, m)
        if command != "resume" and field.split(".")[0] in ("position", "optimizer", "scheduler", "rng") \
                and rc == 0:
            continue  # predict, export and attack do not read the training state
        assert rc == 2, (command, err)
        assert f"this checkpoint is damaged: {field}" in err, (command, err)
        assert "1.weight" in err or field, err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sample_of_mutations_never_ends_in_a_traceback(command, base, tmp_path):
    verdicts = {}
    for field, what, m in sample(mutations(base["ckpt"]), 12, seed=COMMANDS.index(command)):
        rc, err = run_mutated(base, tmp_path, command, m)
        v = judge(rc, err, field, tmp_path / f"run-{command}" / "last.pt")
        verdicts[v] = verdicts.get(v, 0) + 1
        if v == "traceback":
            OUTCOMES["tracebacks"] += 1
        assert v in ("ok", "refused"), (command, field, what, v, err[-2000:])
    fault(f"checkpoint field fuzz: {command}", sum(verdicts.values()))
