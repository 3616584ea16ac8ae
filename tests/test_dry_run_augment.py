"""`--dry-run` says what the run would refuse: `data.augment` on samples that are not images (a toy set, a table)
passed the dry run and then stopped the real run (the CLI walk-through)."""

from __future__ import annotations

from tests.runs.helpers import TOY_YAML
from tui_dl.cli.main import main


def test_dry_run_refuses_augment_on_points(tmp_path, capsys):
    f = tmp_path / "toy.yaml"
    f.write_text(TOY_YAML.replace("EPOCHS", "1"))
    assert main(["--batch", str(f), "--set", "data.augment=[flip]", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "data.augment (flip) works on images" in err and "Remove data.augment" in err
    assert main(["--batch", str(f), "--dry-run"]) == 0
