"""Tabular data from a CSV file: ``data: {name: csv, path: FILE, label: COLUMN}``.

The file has a header row; every column but the label column is a numeric feature, so the network's input shape
is ``[number of features]``. The label column holds the class of each row (any text or numbers); the class names
are its distinct values, in numeric order when they are all numbers, else alphabetical. The loader holds out a
seeded 20 % of the rows as the test set (and ``val_split`` of the rest for validation) and standardises each
feature with the training split's mean and standard deviation.

Every problem is a :class:`~tui_dl.core.data.base.DataError` naming ``file:line``: a missing file, no header, a
missing label column, a ragged row, a cell that is not a number.
"""

from __future__ import annotations

import csv
import math
import os

import numpy as np
import torch

from tui_dl.core.data.base import DataError, Progress, TensorSplit, _report
from tui_dl.core.paths import PathProblem, expand_user

__all__ = ["load_csv_table", "TEST_SHARE", "feature_stats"]

TEST_SHARE = 0.2
_MAX_BYTES = 2_000_000_000


def _label_order(labels: list[str]) -> list[str]:
    def number(s: str):
        try:
            v = float(s)
        except ValueError:
            return None
        return v if math.isfinite(v) else None

    values = [number(s) for s in labels]
    if all(v is not None for v in values):
        return [s for _, s in sorted(zip(values, labels))]
    return sorted(labels)


def load_csv_table(path, label: str, seed: int = 0, progress: Progress | None = None
                   ) -> tuple[TensorSplit, TensorSplit, list[str], list[str], str]:
    """(train, test, class names, feature names, source) of a CSV file; :class:`DataError` naming file:line."""
    if path is None or str(path).strip() == "":
        raise DataError("The csv dataset needs `path:` set to the CSV file (a header row, numeric feature columns "
                        "and a label column named by `label:`).")
    try:
        p = expand_user(path)
    except PathProblem as e:
        raise DataError(f"data.path: {e}.") from None
    if not p.is_file():
        where = "" if p.is_absolute() else f" (a relative path is read from the current folder, {os.getcwd()})"
        raise DataError(f"The CSV file {p} does not exist or is not a file{where}. Set `path:` to your table.",
                        recoverable=True)
    if p.stat().st_size > _MAX_BYTES:
        raise DataError(f"{p} is over 2 GB: too large to load into memory here.")
    _report(progress, f"Reading {p.name}", None)
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as e:
        raise DataError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start}). Save the table as UTF-8 CSV.") from None
    except (OSError, csv.Error) as e:
        raise DataError(f"{p}: cannot be read as CSV: {e}.", recoverable=isinstance(e, OSError)) from None
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        raise DataError(f"{p}: the file is empty. It needs a header row, then one row per example.")
    head_line, header = numbered[0]
    header = [h.strip() for h in header]
    if label not in header:
        sep = next((c for c in ";\t|" if len(header) == 1 and c in header[0]), None)
        if sep is not None:  # a spreadsheet's "CSV" with semicolons (or tabs) between the values
            raise DataError(f"{p}:{head_line}: the header {header[0]!r} is one column: the values are separated by "
                            f"{'tabs' if sep == chr(9) else repr(sep)}, not commas. Save the table as CSV with "
                            f"commas between the values.")
        raise DataError(f"{p}:{head_line}: there is no label column {label!r}; the header has "
                        f"{', '.join(repr(h) for h in header)}. Set `label:` to the column that holds the classes.")
    li = header.index(label)
    features = [h for i, h in enumerate(header) if i != li]
    if not features:
        raise DataError(f"{p}:{head_line}: the only column is the label {label!r}; a table needs at least one "
                        f"feature column.")
    body = numbered[1:]
    if len(body) < 2:
        raise DataError(f"{p}: only {len(body)} data row{'s' if len(body) != 1 else ''}; a table to learn from "
                        f"needs more.")
    x = np.empty((len(body), len(features)), dtype=np.float32)
    labels: list[str] = []
    for n, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise DataError(f"{p}:{line}: this row has {len(row)} cells but the header has {len(header)}. Every "
                            f"row needs one value per column.")
        j = 0
        for i, cell in enumerate(row):
            if i == li:
                labels.append(cell.strip())
                continue
            try:
                v = float(cell)
            except ValueError:
                v = math.nan
            if not math.isfinite(v):
                raise DataError(f"{p}:{line}: column {header[i]!r} holds {cell.strip()!r}, not a number. Feature "
                                f"columns must be numbers (the label column {label!r} may hold text).")
            x[n, j] = v
            j += 1
    if any(s == "" for s in labels):
        line = body[labels.index("")][0]
        raise DataError(f"{p}:{line}: the label column {label!r} is empty on this row.")
    classes = _label_order(sorted(set(labels)))
    if len(classes) < 2:
        raise DataError(f"{p}: every row has the label {classes[0]!r}; a classifier needs at least two classes.")
    index = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([index[s] for s in labels], dtype=torch.int64)
    xt = torch.from_numpy(x)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(int(seed)))
    n_test = max(1, int(round(len(y) * TEST_SHARE)))
    test_idx, _ = perm[:n_test].sort()
    train_idx, _ = perm[n_test:].sort()
    train, test = TensorSplit(xt[train_idx], y[train_idx]), TensorSplit(xt[test_idx], y[test_idx])
    source = (f"{p} ({len(y):,} rows, {len(features)} features, {len(classes)} classes; "
              f"{len(train):,} train + {n_test:,} test, held out with seed {seed})")
    return train, test, classes, features, source


def feature_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-feature mean and standard deviation (a constant feature gets std 1, so it stays 0 after scaling)."""
    xd = x.to(torch.float64)
    mean = xd.mean(0)
    std = xd.std(0, unbiased=False) if len(xd) > 1 else torch.ones_like(mean)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)
