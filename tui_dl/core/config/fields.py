"""Typed, documented fields: the one schema used by the layer registry, the config sections,
the YAML validator and the app's input widgets.

Plain Python only (no torch), so that validation and the live builder stay instant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tui_dl.core.i18n import N_, _

#: A float written the way people write it, including forms YAML 1.1 leaves as strings ("1e-3", "5E4").
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INT_RE = re.compile(r"^[+-]?\d+$")


class FieldError(ValueError):
    """A value does not fit its field. ``str(e)`` is a plain-language sentence."""


@dataclass(frozen=True)
class Field:
    """One setting: its type, default, limits and help text.

    kinds:
      ``int``, ``float``, ``bool``, ``str``, ``choice`` (one of ``choices``),
      ``int2`` (an int or a pair ``[h, w]``), ``padding`` (``int2`` or ``same``/``valid``),
      ``floats`` (a list of floats, e.g. Adam's betas), ``shape`` (a list of positive ints),
      ``choices`` (a list of names from ``choices``, each at most once; one name alone is a list of one).
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    choices: tuple[str, ...] = ()
    required: bool = False
    nullable: bool = False
    #: Filled in from the incoming shape when omitted (in_channels, in_features, num_features).
    inferred: bool = False
    length: int | None = None  # for ``floats``
    #: What an omitted value means when the default is worked out rather than fixed (``stride``: "kernel_size").
    default_text: str = ""

    @property
    def help_text(self) -> str:
        """``help`` in the language spoken now. ``help`` itself is the English source (marked with ``N_`` where
        the field is declared, so YAML docs and machine-readable schemas stay English); show this one."""
        return _(self.help) if self.help else ""

    # ------------------------------------------------------------------ coercion
    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this field's type, or raise :class:`FieldError`."""
        if value is None:
            if self.nullable or self.inferred or (not self.required and self.default is None):
                return None
            raise FieldError(_("needs a value ({kind})").format(kind=self.describe_type()))
        kind = self.kind
        if kind == "int":
            return self._check_range(_to_int(value))
        if kind == "float":
            return self._check_range(_to_float(value))
        if kind == "bool":
            return _to_bool(value)
        if kind == "str":
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise FieldError(_("expected text, got {value}").format(value=_show(value)))
            return str(value)
        if kind == "choice":
            text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
            if text is None:
                raise FieldError(_("expected one of {choices}; got {value}").format(choices=', '.join(self.choices), value=_show(value)))
            norm = text.lower().replace("_", "-")
            for c in self.choices:
                if c.lower().replace("_", "-") == norm:
                    return c
            hint = suggest(text, self.choices)
            choices = ', '.join(self.choices)
            if hint:
                raise FieldError(_("{value} is not one of {choices} (did you mean {hint}?)").format(
                    value=repr(text), choices=choices, hint=repr(hint)))
            raise FieldError(_("{value} is not one of {choices}").format(value=repr(text), choices=choices))
        if kind in ("int2", "padding"):
            if kind == "padding" and isinstance(value, str) and value.strip().lower() in ("same", "valid"):
                return value.strip().lower()
            if isinstance(value, (list, tuple)):
                if len(value) != 2:
                    raise FieldError(_("expected one integer or a pair [height, width]; got {n} values").format(n=len(value)))
                return [self._check_range(_to_int(v)) for v in value]
            try:
                number = _to_int(value)
            except FieldError:
                if kind == "padding":
                    raise FieldError(_("expected an integer, a pair [height, width], 'same' or 'valid'; got {value}")
                                     .format(value=_show(value))) from None
                raise FieldError(_("expected an integer or a pair [height, width]; got {value}")
                                 .format(value=_show(value))) from None
            return self._check_range(number)
        if kind == "floats":
            if not isinstance(value, (list, tuple)):
                raise FieldError((_("expected a list of {n} numbers, got {value}").format(n=self.length, value=_show(value))
                                 if self.length else _("expected a list of numbers, got {value}").format(value=_show(value))))
            if self.length is not None and len(value) != self.length:
                raise FieldError(_("expected {n} numbers, got {got}").format(n=self.length, got=len(value)))
            return [self._check_range(_to_float(v)) for v in value]
        if kind == "choices":
            return self._coerce_choices(value)
        if kind == "shape":
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple)) or not value:
                raise FieldError(_("expected a list such as [1, 28, 28] or [2]; got {value}").format(value=_show(value)))
            if len(value) not in (1, 2, 3):
                raise FieldError(
                    _("expected [features] or [channels, height, width]; got {n} numbers").format(n=len(value))
                )
            out = [_to_int(v) for v in value]
            if any(v < 1 for v in out):
                raise FieldError(_("every size must be at least 1; got {value}").format(value=out))
            if math.prod(out) > 50_000_000:
                raise FieldError(_("an input of {value} is far too large for this tool (over 50 million values)").format(value=out))
            return out
        raise AssertionError(f"unknown field kind {kind}")

    def _coerce_choices(self, value: Any) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise FieldError(_("expected a list of names from {choices}; got {value}").format(choices=', '.join(self.choices), value=_show(value)))
        one = Field(self.name, "choice", choices=self.choices)
        out: list[str] = []
        for item in items:
            c = one.coerce(item)
            if c not in out:
                out.append(c)
        return out

    def _check_range(self, v):
        if self.min is not None:
            if self.min_exclusive and not v > self.min:
                raise FieldError(_("must be greater than {limit}; got {value}").format(limit=_num(self.min), value=_num(v)))
            if not self.min_exclusive and v < self.min:
                raise FieldError(_("must be at least {limit}; got {value}").format(limit=_num(self.min), value=_num(v)))
        if self.max is not None and v > self.max:
            raise FieldError(_("must be at most {limit}; got {value}").format(limit=_num(self.max), value=_num(v)))
        return v

    def describe_type(self) -> str:
        k = self.kind
        if k == "choice":
            return _("one of {choices}").format(choices=", ".join(self.choices))
        if k == "choices":
            return _("a list of {choices}").format(choices=", ".join(self.choices))
        rng = ""
        if self.min is not None and self.max is not None:
            # TRANSLATORS: appended to a type ("an integer"): its range
            rng = _(" from {lo} to {hi}").format(lo=_num(self.min), hi=_num(self.max))
        elif self.min is not None:
            rng = f" {'>' if self.min_exclusive else '≥'} {_num(self.min)}"
        return _(_TYPE_NAMES.get(k, k)) + rng


#: What each kind of field holds, in words (translated where shown).
_TYPE_NAMES = {
    "int": N_("an integer"),
    "float": N_("a number"),
    "bool": N_("true or false"),
    "str": N_("text"),
    "int2": N_("an integer or a pair [h, w]"),
    "padding": N_("an integer, a pair [h, w], 'same' or 'valid'"),
    "floats": N_("a list of numbers"),
    "shape": N_("a list of sizes"),
}

#: Numbers longer than this (in digits) are refused before any conversion: no setting needs one, and Python's
#: int/float conversions overflow or refuse (over 4,300 digits) on them.
MAX_DIGITS = 30


def _digits(v: int) -> int:
    """Decimal digits of an int, without converting it to text (which Python refuses past 4,300 digits)."""
    return max(1, int(abs(v).bit_length() * 0.30103) + 1)


def _too_long(n_digits: int) -> FieldError:
    return FieldError(_("a number with {n:,} digits is far outside any sensible value").format(n=n_digits))


def _show(value: Any) -> str:
    if isinstance(value, str):
        if len(value) > 60:
            return repr(value[:40]) + _("… ({n:,} characters)").format(n=len(value))
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and _digits(value) > MAX_DIGITS:
        return _("a number with about {n:,} digits").format(n=_digits(value))
    if isinstance(value, bool):
        return _("{value} (YAML reads yes/no/on/off as true/false; quote it to mean text)").format(
            value=str(value).lower())
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    return repr(value)


def _num(v: float) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v) if _digits(v) <= MAX_DIGITS else _("a number with about {n:,} digits").format(n=_digits(v))
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}"


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldError(_("expected an integer, got {value}").format(value=_show(value)))
    if isinstance(value, int):
        if _digits(value) > MAX_DIGITS:
            raise _too_long(_digits(value))
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if not math.isfinite(value):
            raise FieldError(_("expected a whole number, got {value}").format(value=value))
        raise FieldError(_("expected a whole number, got {value}").format(value=f"{value:g}"))
    if isinstance(value, str):
        s = value.strip().replace("_", "")
        if _INT_RE.match(s):
            if len(s.lstrip("+-")) > MAX_DIGITS:
                raise _too_long(len(s.lstrip("+-")))
            return int(s)
        if _FLOAT_RE.match(s) and float(s).is_integer():
            return int(float(s))
    raise FieldError(_("expected an integer, got {value}").format(value=_show(value)))


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise FieldError(_("expected a number, got {value}").format(value=_show(value)))
    if isinstance(value, int) and _digits(value) > MAX_DIGITS:
        raise _too_long(_digits(value))
    if isinstance(value, (int, float)):
        v = float(value)
    elif isinstance(value, str) and _FLOAT_RE.match(value.strip().replace("_", "")):
        text = value.strip().replace("_", "")
        mantissa = re.split("[eE]", text)[0].lstrip("+-").replace(".", "").lstrip("0")
        if len(mantissa) > 400:  # float() of a long digit string is exact but slow; no setting has 400 digits
            raise _too_long(len(mantissa))
        v = float(text)
    else:
        raise FieldError(_("expected a number, got {value}").format(value=_show(value)))
    if not math.isfinite(v):
        raise FieldError(_("expected a finite number, got {value}").format(value=_show(value)))
    return v


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise FieldError(_("expected true or false, got {value}").format(value=_show(value)))


def suggest(word: str, options) -> str | None:
    """The closest option to ``word`` (case-insensitive), or None."""
    import difflib

    opts = list(options)
    lower = {o.lower(): o for o in opts}
    if word.lower() in lower:
        return lower[word.lower()]
    hit = difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)
    return lower[hit[0]] if hit else None


def pair(v: Any) -> tuple[int, int]:
    """An int or a pair as ``(h, w)``."""
    if isinstance(v, (list, tuple)):
        return int(v[0]), int(v[1])
    return int(v), int(v)
