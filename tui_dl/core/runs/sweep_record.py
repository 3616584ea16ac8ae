"""A comparison sweep's record, plain Python: each run's row (read from its summary.json) and the sweep's table
(best val accuracy, final train loss, test accuracy, wall time, img/s, the initial weights' hash). Shared by
``tui-dl --batch FILE --sweep ...`` (:mod:`tui_dl.cli.sweep`) and the app's Compare dialog, which both write
``sweep.json`` and ``table.md`` into the sweep folder."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tui_dl.core.i18n import N_, _, ljust, text_width

__all__ = ["run_summary", "run_row", "sweep_identity", "sweep_table", "write_sweep", "SWEEP_JSON"]

SWEEP_JSON = "sweep.json"


def sweep_identity(file: str, overrides: list[str], axes) -> dict[str, Any]:
    """What makes two sweeps the same one (``--resume SWEEPDIR`` and a rerun of the same command find it by this):
    the experiment file, the ``--set`` overrides and the axes (each with ``key`` and ``values``)."""
    return {"file": str(Path(file).expanduser().resolve()), "overrides": list(overrides),
            "axes": [[a.key, list(a.values)] for a in axes]}


def run_summary(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_row(combo, run_dir: Path, status: str) -> dict[str, Any]:
    s = run_summary(run_dir) or {}
    hv = (s.get("highest_val_accuracy") or {}).get("value")
    return {"slug": combo.slug, "label": combo.label, "settings": [list(kv) for kv in combo.settings],
            "run_dir": str(run_dir), "status": s.get("status", status),
            "best_val_accuracy": hv, "final_train_loss": (s.get("final") or {}).get("train_loss"),
            "test_accuracy": s.get("test_accuracy"), "seconds": s.get("seconds"),
            "images_per_second": s.get("train_images_per_second"), "init_sha256": s.get("init_sha256")}


def _pct(v) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{100 * v:.2f}%"


def _num(v, fmt="{:.4f}") -> str:
    return "—" if v is None or not math.isfinite(v) else fmt.format(v)


#: The sweep table's column headers (table.md and sweep.json keep them in English).
SWEEP_HEAD = (N_("run"), N_("status"), N_("best val acc"), N_("final train loss"), N_("test acc"), N_("wall time"),
              "img/s", "init")
SAME_INIT = N_("every run started from the same initial weights (init_sha256 {sha}…) and saw the batches in the "
               "same order")
OTHER_INIT = N_("the initial weights differ between runs (init column): the swept value changes the network's "
                "weights (e.g. an activation with parameters, a layer size) or the seed")


def sweep_table(rows: list[dict[str, Any]], shown: bool = False) -> list[str]:
    """The sweep's table (markdown-style, readable as text) and the line about the initial weights: in English
    for the files (table.md, sweep.json), in the language spoken with ``shown`` (to print it)."""
    tr = _ if shown else (lambda text: text)
    head = [tr(h) for h in SWEEP_HEAD]
    body = [[r["label"], r["status"], _pct(r["best_val_accuracy"]), _num(r["final_train_loss"]),
             _pct(r["test_accuracy"]), _num(r["seconds"], "{:.1f} s"), _num(r["images_per_second"], "{:,.0f}"),
             (r["init_sha256"] or "—")[:8]] for r in rows]
    widths = [max(text_width(x[c]) for x in [head, *body]) for c in range(len(head))]
    line = lambda cells: "| " + " | ".join(ljust(c, widths[i]) for i, c in enumerate(cells)) + " |"  # noqa: E731
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, body)]
    hashes = {r["init_sha256"] for r in rows if r["init_sha256"]}
    if len(hashes) == 1 and all(r["init_sha256"] for r in rows):
        out.append(tr(SAME_INIT).format(sha=next(iter(hashes))[:16]))
    elif len(hashes) > 1:
        out.append(tr(OTHER_INIT))
    return out


def log_table(rows: list[dict[str, Any]]) -> list[str]:
    """The sweep's table narrow enough for the app's log pane (about 40 columns): the swept value (not the key),
    best val accuracy, test accuracy and wall time, in plain aligned columns; table.md has the rest."""
    keys = [str(k).rsplit(".", 1)[-1] for k, _v in (rows[0]["settings"] if rows else [])]
    head = [" ".join(keys) or _("run"), _("best val"), _("test"), _("time")]
    pct = lambda v: "—" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"  # noqa: E731
    body = [[" ".join(str(v) for _k, v in r["settings"]) or r["label"], pct(r["best_val_accuracy"]),
             pct(r["test_accuracy"]), _num(r["seconds"], "{:.1f} s")] for r in rows]
    widths = [max(text_width(x[c]) for x in [head, *body]) for c in range(len(head))]
    return ["  ".join(ljust(c, widths[i]) for i, c in enumerate(cells)).rstrip() for cells in [head, *body]]


def write_sweep(folder: Path, record: dict[str, Any], table: list[str] | None = None) -> None:
    """``sweep.json`` (and, given the table, ``table.md``) into the sweep folder, atomically."""
    from tui_dl.core.runs.atomic import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / SWEEP_JSON, lambda f: f.write(json.dumps(record, indent=1, ensure_ascii=False) + "\n"))
    if table is not None:
        atomic_write(folder / "table.md", lambda f: f.write("\n".join(table) + "\n"))
