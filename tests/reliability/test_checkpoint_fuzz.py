"""Fuzz checkpoints: real tui-dl checkpoints with bytes flipped, ranges overwritten, cut short or padded.
``load_checkpoint`` must return a checkpoint or raise ``CheckpointError`` (never anything else), a damaged
file must never load as silently different weights, and ``--resume`` from a damaged run folder must exit
with a message (never a traceback)."""

from __future__ import annotations

import random
import shutil

import pytest
import torch

from tests.reliability.helpers import cli, fault, moons_yaml, write
from tui_dl.core.runs.checkpoint import CheckpointError, load_checkpoint


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckfuzz")
    f = write(d / "exp.yaml", moons_yaml("epochs: 2"))
    rc, _, err = cli("--batch", f, "--out", d / "run", "--quiet")
    assert rc == 0, err
    (d / "run" / "config.yaml").unlink()  # --resume must then trust the checkpoint alone
    return d / "run"


def mutate(data: bytes, rnd: random.Random) -> tuple[str, bytes]:
    b = bytearray(data)
    op = rnd.randrange(4)
    if op == 0:
        for _ in range(rnd.randint(1, 8)):
            i = rnd.randrange(len(b))
            b[i] ^= 1 << rnd.randrange(8)
        return "bit flips", bytes(b)
    if op == 1:
        return "cut short", bytes(b[: rnd.randrange(len(b))])
    if op == 2:
        i = rnd.randrange(len(b))
        j = min(len(b), i + rnd.randint(1, 256))
        b[i:j] = bytes(rnd.randrange(256) for _ in range(j - i))
        return "range overwritten", bytes(b)
    i = rnd.randrange(len(b))
    b[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 64)))
    return "bytes inserted", bytes(b)


def test_damaged_checkpoints_load_exactly_or_are_refused(run, tmp_path):
    original = (run / "last.pt").read_bytes()
    good = load_checkpoint(run / "last.pt")
    rnd = random.Random(2026)
    outcomes = {"refused": 0, "loaded": 0}
    path = tmp_path / "last.pt"
    for _ in range(600):
        kind, data = mutate(original, rnd)
        path.write_bytes(data)
        fault(f"checkpoint fuzz: {kind}")
        try:
            ck = load_checkpoint(path)
        except CheckpointError as e:
            assert str(path) in str(e)
            outcomes["refused"] += 1
            continue
        # it loaded: then it must be the same checkpoint (the damage hit bytes that carry no data)
        outcomes["loaded"] += 1
        assert ck.keys() == good.keys()
        for k, v in good["model"].items():
            assert torch.equal(ck["model"][k], v), f"{kind}: {k} loaded with different values"
    assert outcomes["refused"] > 500, outcomes


def test_resume_from_a_damaged_checkpoint_never_crashes(run, tmp_path):
    original = (run / "last.pt").read_bytes()
    rnd = random.Random(7)
    for i in range(40):
        target = tmp_path / f"run{i}"
        shutil.copytree(run, target)
        kind, data = mutate(original, rnd)
        (target / "last.pt").write_bytes(data)
        fault(f"checkpoint fuzz: --resume after {kind}")
        rc, out, err = cli("--batch", "--resume", target, "--quiet")  # fails the test on any traceback
        assert rc in (0, 2), (rc, err)
        if rc == 2:
            assert str(target / "last.pt") in err, err
        shutil.rmtree(target)
