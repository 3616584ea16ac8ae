"""Provenance: summary.json and the run's first event say how the run was made (issue 17, item 1)."""

from __future__ import annotations

import hashlib
import json
import platform
import socket

from tests.runs.helpers import train


def test_summary_and_started_event_carry_the_provenance(tmp_path):
    run = tmp_path / "run"
    origin = {"argv": ["tui-dl", "--batch", "toy.yaml", "--set", "train.seed=3"], "overrides": ["train.seed=3"],
              "source": "toy.yaml"}
    train(run, origin=origin)
    summary = json.loads((run / "summary.json").read_text())
    pv = summary["provenance"]
    assert pv["argv"] == origin["argv"] and pv["overrides"] == ["train.seed=3"] and pv["source"] == "toy.yaml"
    assert pv["config_sha256"] == hashlib.sha256((run / "config.yaml").read_bytes()).hexdigest()
    assert pv["hostname"] == socket.gethostname() and pv["threads"] == 1 and pv["device"] == "cpu"
    assert pv["versions"]["python"] == platform.python_version() and pv["versions"]["torch"]
    assert pv["versions"]["tui_dl"]
    assert pv["started_at"].endswith("Z") and pv["ended_at"] >= pv["started_at"]
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    started = lines[0]
    assert started["event"] == "started" and started["provenance"]["config_sha256"] == pv["config_sha256"]
    assert started["provenance"]["ended_at"] is None
    times = [x["time"] for x in lines]  # every event is time-stamped, in order
    assert all(isinstance(t, float) for t in times) and times == sorted(times)


def test_without_an_origin_the_source_file_is_the_experiments(tmp_path):
    run = tmp_path / "run"
    train(run, epochs=1)
    pv = json.loads((run / "summary.json").read_text())["provenance"]
    assert pv["source"] == "toy.yaml" and pv["overrides"] == [] and isinstance(pv["argv"], list)


def test_two_runs_of_one_config_share_the_hash_and_a_changed_one_differs(tmp_path):
    train(tmp_path / "a", epochs=1)
    train(tmp_path / "b", epochs=1)
    train(tmp_path / "c", epochs=1, seed=5)
    h = {k: json.loads((tmp_path / k / "summary.json").read_text())["provenance"]["config_sha256"] for k in "abc"}
    assert h["a"] == h["b"] != h["c"]
