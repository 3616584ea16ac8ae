"""Expectations about a finished run, for ``tui-dl check RUN --expect 'test_accuracy>=0.97'``.

An expectation is ``KEY OP VALUE``:

- KEY is a field of the run's ``summary.json``; a nested one is written with dots (``best.val_accuracy``,
  ``final.val_loss``, ``versions.torch``, ``provenance.hostname``) and a list item by its index
  (``per_class_accuracy.3``, ``history.-1.val_accuracy``). A few short names stand for longer ones
  (:data:`ALIASES`: ``epochs`` is ``epochs_run``, ``val_accuracy`` is ``final.val_accuracy``, ...).
- OP is one of ``>= <= > < == !=``.
- VALUE is a number (``0.97``, ``97%``, ``1e-3``), ``true``/``false``, ``null``, or text (``completed``, or quoted
  ``'cpu'``); text compares only with ``==`` and ``!=``.

The expression is parsed by hand (a regular expression and :func:`float`); nothing is evaluated. Plain Python.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tui_dl.core.i18n import _, ngettext

__all__ = ["Expectation", "ExpectError", "parse", "lookup", "check", "ALIASES", "OPS", "SUMMARY_STATUSES"]

OPS = (">=", "<=", "==", "!=", ">", "<")
#: Short names for summary fields, documented in the README ("Checking a run").
ALIASES = {
    "epochs": "epochs_run",
    "val_accuracy": "final.val_accuracy",
    "val_loss": "final.val_loss",
    "train_accuracy": "final.train_accuracy",
    "train_loss": "final.train_loss",
    "best_val_accuracy": "best.val_accuracy",
    "best_epoch": "best.epoch",
    "images_per_second": "train_images_per_second",
}
_EXPR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.-?[A-Za-z0-9_]+)*)\s*(>=|<=|==|!=|>|<|=)\s*(.*?)\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")
_MISSING = object()


class ExpectError(ValueError):
    """A bad expression or a key the summary does not have; ``str(e)`` says what to write instead."""


@dataclass(frozen=True)
class Expectation:
    text: str      # as written
    key: str       # as written (maybe an alias)
    path: str      # the summary path it reads
    op: str
    value: Any     # float, bool, None or str

    def holds(self, actual: Any) -> bool:
        return _compare(actual, self.op, self.value)


def _value(text: str) -> Any:
    t = text.strip()
    if not t:
        raise ExpectError(_("nothing after the operator: write a value, e.g. test_accuracy>=0.97"))
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    if _NUMBER.match(t):
        v = float(t.rstrip("%"))
        return v / 100 if t.endswith("%") else v
    if re.match(r"^[A-Za-z0-9_.:/+-]+$", t):
        return t
    if "," in t or re.search(r"\s(and|or|&&)\s|&&|\|\|", t):
        raise ExpectError(_("the value {value} holds more than one expectation: give each its own --expect, "
                            "e.g. -e 'test_accuracy>=0.97' -e 'epochs<=5' (all must hold)").format(value=repr(t)))
    raise ExpectError(_("the value {value} is not a number, true/false, null or a word; quote text with "
                        "spaces").format(value=repr(t)))


def parse(text: str) -> Expectation:
    """``'test_accuracy>=0.97'`` → an :class:`Expectation`; :class:`ExpectError` names what is wrong."""
    if not isinstance(text, str) or len(text) > 500:
        raise ExpectError(_("an expectation is one short line such as test_accuracy>=0.97"))
    m = _EXPR.match(text)
    if m is None:
        raise ExpectError(_("{text} is not KEY OP VALUE (OP one of {ops}), e.g. test_accuracy>=0.97").format(
            text=repr(text), ops=" ".join(OPS)))
    key, op, rest = m.group(1), m.group(2), m.group(3)
    if op == "=" and rest[:1] in ("<", ">"):
        raise ExpectError(_("{text}: write {op}= (the = comes second), e.g. {example}").format(
            text=repr(text), op=rest[0], example=f"{key}{rest[0]}={rest[1:].strip()}"))
    if op == "=":
        raise ExpectError(_("{text}: write == to compare (a single = is not an operator)").format(text=repr(text)))
    if rest[:1] in ("=", "<", ">", "!"):
        raise ExpectError(_("{text}: the operator is not one of {ops}").format(text=repr(text), ops=" ".join(OPS)))
    value = _value(rest)
    if isinstance(value, str) and op not in ("==", "!="):
        raise ExpectError(_("{text}: text can only be compared with == or != (is {value} meant as a "
                            "number?)").format(text=repr(text), value=repr(value)))
    return Expectation(text, key, ALIASES.get(key, key), op, value)


def lookup(summary: Any, path: str) -> Any:
    """The value at the dotted ``path`` of ``summary``; :class:`ExpectError` when there is none."""
    cur = summary
    done: list[str] = []
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and re.fullmatch(r"-?\d+", part) and -len(cur) <= int(part) < len(cur):
            cur = cur[int(part)]
        else:
            where = ".".join(done) or "summary.json"
            if isinstance(cur, dict):
                from tui_dl.core.config.fields import suggest

                hint = suggest(part, list(cur))
                known = ", ".join(sorted(k for k in cur if not isinstance(cur[k], (list, dict)))[:30])
                if hint:
                    raise ExpectError(_("{where} has no field {field}. Did you mean {hint}?").format(
                        where=where, field=repr(part), hint=repr(".".join([*done, hint]))))
                raise ExpectError(_("{where} has no field {field}. Its fields: {known}.").format(
                    where=where, field=repr(part), known=known))
            if isinstance(cur, list):
                raise ExpectError(_("{where} is a list of {n}: {part} is not an index in it").format(
                    where=where, n=len(cur), part=repr(part)))
            raise ExpectError(_("{where} is a value ({value}), it has no field {field}").format(
                where=where, value=repr(cur), field=repr(part)))
        done.append(part)
    return cur


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):  # how summary.json writes non-finite numbers
        return float(v)
    return None


def _compare(actual: Any, op: str, want: Any) -> bool:
    if want is None or isinstance(want, bool) or isinstance(want, str):
        eq = actual == want if not (isinstance(want, str) and not isinstance(actual, str)) else str(actual) == want
        if isinstance(want, bool):
            eq = isinstance(actual, bool) and actual == want
        if op == "==":
            return eq
        if op == "!=":
            return not eq
        return False  # ordering against text/null/booleans never holds
    a = _as_number(actual)
    if a is None or math.isnan(a):
        return False
    return {">=": a >= want, "<=": a <= want, ">": a > want, "<": a < want,
            "==": a == want, "!=": a != want}[op]


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (list, dict)):
        return _("a list") if isinstance(v, list) else _("a mapping")
    return repr(v) if isinstance(v, str) else str(v)


#: ``summary.json``'s ``status`` values, and what ``tui-dl runs`` shows for each (a TA reads the latter first).
SUMMARY_STATUSES = {"completed": "finished", "early_stopped": "finished", "stopped": "interrupted",
                    "diverged": "diverged", "running": "running"}


def _check_status_word(e: Expectation) -> None:
    if e.path != "status" or not isinstance(e.value, str) or e.value in SUMMARY_STATUSES:
        return
    known = ", ".join(SUMMARY_STATUSES)
    runs_word = [k for k, v in SUMMARY_STATUSES.items() if v == e.value]
    if runs_word:
        raise ExpectError(_("{text}: summary.json's status is one of {known} ('{word}' is what tui-dl runs shows "
                            "for {statuses}: write status=={status})").format(
            text=repr(e.text), known=known, word=e.value, statuses=" or ".join(runs_word), status=runs_word[0]))
    raise ExpectError(_("{text}: summary.json's status is one of {known}").format(text=repr(e.text), known=known))


def _why_missing(summary: dict[str, Any], run: str) -> str:
    """Why a run has no value for a field, for the FAILED line (a stopped or diverged run has no test result)."""
    status = summary.get("status")
    n = summary.get("epochs_run")
    if status == "stopped":
        folder = run or summary.get("run_dir") or "RUN"
        if isinstance(n, int):
            return ngettext(" (the run was stopped after {n} epoch, before its test; continue it with: tui-dl "
                            "--batch --resume {folder})",
                            " (the run was stopped after {n} epochs, before its test; continue it with: tui-dl "
                            "--batch --resume {folder})", n).format(n=n, folder=folder)
        return _(" (the run was stopped, before its test; continue it with: tui-dl --batch --resume "
                 "{folder})").format(folder=folder)
    if status == "diverged":
        if isinstance(n, int):
            return _(" (the run diverged in epoch {epoch}: it has no test result)").format(epoch=n + 1)
        return _(" (the run diverged: it has no test result)")
    if status == "running":
        return _(" (the run has not finished)")
    return ""


def check(summary: dict[str, Any], expectations: list[Expectation], run: str = "") -> list[str]:
    """One line per expectation that does not hold (empty: all hold). A missing key, or a ``status`` compared
    with a word summary.json never holds (``finished``: the word ``tui-dl runs`` shows), raises
    :class:`ExpectError`."""
    failed = []
    for e in expectations:
        _check_status_word(e)
        actual = lookup(summary, e.path)
        if not e.holds(actual):
            named = e.key if e.path == e.key else f"{e.key} ({e.path})"
            why = _why_missing(summary, run) if actual is None else ""
            if e.text.rstrip().endswith("%") and _as_number(actual) is not None and not isinstance(actual, bool):
                why = f" ({100 * _as_number(actual):.2f}%)"  # as the expectation was written
            # TRANSLATORS: keep the word FAILED (scripts look for it); {why} starts with a space when it is there
            failed.append(_("FAILED {text}: {named} is {value}{why}").format(text=e.text, named=named,
                                                                            value=_show(actual), why=why))
    return failed
