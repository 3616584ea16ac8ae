"""Issue 19's benchmark plumbing (no timing assertions): RESULTS.md keeps one section per CPU model, and the
memory gate reads the allowance over `import torch`."""

from __future__ import annotations

from benchmarks.cpu_speed import MEMORY_ALLOWANCE_MIB, memory_target
from benchmarks.results_md import save
from benchmarks.run import Report


def test_results_md_replaces_only_its_own_cpus_section(tmp_path):
    p = tmp_path / "RESULTS.md"
    save(p, "# tui-dl benchmark results\n\nDate: 1\n\n## Targets\n\n| a |", "CPU A")
    save(p, "# tui-dl benchmark results\n\nDate: 2\n", "CPU B")
    text = save(p, "# tui-dl benchmark results\n\nDate: 3\n", "CPU A")
    assert text.count("## CPU A") == 1 and text.count("## CPU B") == 1
    assert "Date: 3" in text and "Date: 1" not in text and "Date: 2" in text
    assert text.index("## CPU A") < text.index("## CPU B")  # a section stays where it was
    assert text.startswith("# tui-dl benchmark results")


def test_memory_gate_is_the_allowance_over_import_torch():
    rep = Report()
    memory_target(rep, 760.0, 631.0, quick=False)
    memory_target(rep, 800.0, 631.0, quick=False)
    memory_target(rep, None, 631.0, quick=True)
    (ok, bad, missing) = rep.targets
    assert ok.value == 129.0 and ok.passed and ok.threshold == MEMORY_ALLOWANCE_MIB
    assert bad.passed is False and missing.passed is None and "quick" in missing.note


def test_memory_gate_shows_the_torch_optim_floor_beside_it():
    rep = Report()
    memory_target(rep, 799.0, 633.0, quick=False, optim_floor_mib=790.0)
    (t,) = rep.targets
    assert t.value == 166.0 and t.passed is False
    assert "one torch.optim step alone: +157 MiB" in t.note


def test_the_optim_floor_snippet_runs_and_steps():
    import subprocess
    import sys

    from benchmarks.run import OPTIM_FLOOR

    code = OPTIM_FLOOR + "; print(float(w))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert float(out.stdout) != 0.0  # the Adam step moved the weight
