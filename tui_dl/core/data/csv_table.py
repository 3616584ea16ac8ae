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
from tui_dl.core.i18n import _, ngettext
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
        return [s for _v, s in sorted(zip(values, labels))]
    return sorted(labels)


def load_csv_table(path, label: str, seed: int = 0, progress: Progress | None = None
                   ) -> tuple[TensorSplit, TensorSplit, list[str], list[str], str]:
    """(train, test, class names, feature names, source) of a CSV file; :class:`DataError` naming file:line."""
    if path is None or str(path).strip() == "":
        raise DataError(_("The csv dataset needs `path:` set to the CSV file (a header row, numeric feature "
                          "columns and a label column named by `label:`)."))
    try:
        p = expand_user(path)
    except PathProblem as e:
        raise DataError(_("data.path: {error}.").format(error=e)) from None
    if not p.is_file():
        text = (_("The CSV file {path} does not exist or is not a file. Set `path:` to your table.")
                if p.is_absolute() else
                _("The CSV file {path} does not exist or is not a file (a relative path is read from the current "
                  "folder, {cwd}). Set `path:` to your table."))
        raise DataError(text.format(path=p, cwd=os.getcwd() if not p.is_absolute() else ""), recoverable=True)
    if p.stat().st_size > _MAX_BYTES:
        raise DataError(_("{path} is over 2 GB: too large to load into memory here.").format(path=p))
    _report(progress, _("Reading {file}").format(file=p.name), None)
    try:
        with open(p, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError as e:
        raise DataError(_("{path}: not UTF-8 text ({reason} at byte {byte}). Save the table as UTF-8 CSV.").format(
            path=p, reason=e.reason, byte=e.start)) from None
    except (OSError, csv.Error) as e:
        raise DataError(_("{path}: cannot be read as CSV: {error}.").format(path=p, error=e),
                        recoverable=isinstance(e, OSError)) from None
    numbered = [(i + 1, r) for i, r in enumerate(rows) if any(c.strip() for c in r)]
    if not numbered:
        raise DataError(_("{path}: the file is empty. It needs a header row, then one row per example.").format(
            path=p))
    head_line, header = numbered[0]
    header = [h.strip() for h in header]
    if label not in header:
        sep = next((c for c in ";\t|" if len(header) == 1 and c in header[0]), None)
        if sep is not None:  # a spreadsheet's "CSV" with semicolons (or tabs) between the values
            text = (_("{path}:{line}: the header {header} is one column: the values are separated by tabs, not "
                      "commas. Save the table as CSV with commas between the values.") if sep == chr(9) else
                    _("{path}:{line}: the header {header} is one column: the values are separated by {sep}, not "
                      "commas. Save the table as CSV with commas between the values."))
            raise DataError(text.format(path=p, line=head_line, header=repr(header[0]), sep=repr(sep)))
        raise DataError(_("{path}:{line}: there is no label column {label}; the header has {columns}. Set `label:` "
                          "to the column that holds the classes.").format(
                              path=p, line=head_line, label=repr(label),
                              columns=', '.join(repr(h) for h in header)))
    li = header.index(label)
    features = [h for i, h in enumerate(header) if i != li]
    if not features:
        raise DataError(_("{path}:{line}: the only column is the label {label}; a table needs at least one "
                          "feature column.").format(path=p, line=head_line, label=repr(label)))
    body = numbered[1:]
    if len(body) < 2:
        raise DataError(ngettext("{path}: only {n} data row; a table to learn from needs more.",
                                 "{path}: only {n} data rows; a table to learn from needs more.",
                                 len(body)).format(path=p, n=len(body)))
    x = np.empty((len(body), len(features)), dtype=np.float32)
    labels: list[str] = []
    for n, (line, row) in enumerate(body):
        if len(row) != len(header):
            raise DataError(_("{path}:{line}: this row has {n} cells but the header has {columns}. Every "
                              "row needs one value per column.").format(path=p, line=line, n=len(row),
                                                                         columns=len(header)))
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
                raise DataError(_("{path}:{line}: column {column} holds {value}, not a number. Feature columns "
                                  "must be numbers (the label column {label} may hold text).").format(
                                      path=p, line=line, column=repr(header[i]), value=repr(cell.strip()),
                                      label=repr(label)))
            x[n, j] = v
            j += 1
    if any(s == "" for s in labels):
        line = body[labels.index("")][0]
        raise DataError(_("{path}:{line}: the label column {label} is empty on this row.").format(
            path=p, line=line, label=repr(label)))
    classes = _label_order(sorted(set(labels)))
    if len(classes) < 2:
        raise DataError(_("{path}: every row has the label {label}; a classifier needs at least two classes.")
                        .format(path=p, label=repr(classes[0])))
    index = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([index[s] for s in labels], dtype=torch.int64)
    xt = torch.from_numpy(x)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(int(seed)))
    n_test = max(1, int(round(len(y) * TEST_SHARE)))
    test_idx, _order = perm[:n_test].sort()
    train_idx, _order = perm[n_test:].sort()
    train, test = TensorSplit(xt[train_idx], y[train_idx]), TensorSplit(xt[test_idx], y[test_idx])
    source = _("{path} ({rows} rows, {features} features, {classes} classes; {train} train + {test} test, held out "
               "with seed {seed})").format(path=p, rows=f"{len(y):,}", features=len(features), classes=len(classes),
                                           train=f"{len(train):,}", test=f"{n_test:,}", seed=seed)
    return train, test, classes, features, source


def feature_stats(x: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-feature mean and standard deviation (a constant feature gets std 1, so it stays 0 after scaling)."""
    xd = x.to(torch.float64)
    mean = xd.mean(0)
    std = xd.std(0, unbiased=False) if len(xd) > 1 else torch.ones_like(mean)
    std = torch.where(std > 1e-12, std, torch.ones_like(std))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)
