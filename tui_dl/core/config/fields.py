"""Typed, documented fields: the one schema used by the layer registry, the config sections,
the YAML validator and the app's input widgets.

Plain Python only (no torch), so that validation and the live builder stay instant.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

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

    # ------------------------------------------------------------------ coercion
    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this field's type, or raise :class:`FieldError`."""
        if value is None:
            if self.nullable or self.inferred or (not self.required and self.default is None):
                return None
            raise FieldError(f"needs a value ({self.describe_type()})")
        kind = self.kind
        if kind == "int":
            return self._check_range(_to_int(value))
        if kind == "float":
            return self._check_range(_to_float(value))
        if kind == "bool":
            return _to_bool(value)
        if kind == "str":
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise FieldError(f"expected text, got {_show(value)}")
            return str(value)
        if kind == "choice":
            text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
            if text is None:
                raise FieldError(f"expected one of {', '.join(self.choices)}; got {_show(value)}")
            norm = text.lower().replace("_", "-")
            for c in self.choices:
                if c.lower().replace("_", "-") == norm:
                    return c
            hint = suggest(text, self.choices)
            raise FieldError(
                f"{text!r} is not one of {', '.join(self.choices)}" + (f" (did you mean {hint!r}?)" if hint else "")
            )
        if kind in ("int2", "padding"):
            if kind == "padding" and isinstance(value, str) and value.strip().lower() in ("same", "valid"):
                return value.strip().lower()
            if isinstance(value, (list, tuple)):
                if len(value) != 2:
                    raise FieldError(f"expected one integer or a pair [height, width]; got {len(value)} values")
                return [self._check_range(_to_int(v)) for v in value]
            try:
                number = _to_int(value)
            except FieldError:
                extra = ", 'same' or 'valid'" if kind == "padding" else ""
                raise FieldError(f"expected an integer, a pair [height, width]{extra}; got {_show(value)}") from None
            return self._check_range(number)
        if kind == "floats":
            if not isinstance(value, (list, tuple)):
                raise FieldError(f"expected a list of {self.length or 'some'} numbers, got {_show(value)}")
            if self.length is not None and len(value) != self.length:
                raise FieldError(f"expected {self.length} numbers, got {len(value)}")
            return [self._check_range(_to_float(v)) for v in value]
        if kind == "choices":
            return self._coerce_choices(value)
        if kind == "shape":
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple)) or not value:
                raise FieldError(f"expected a list such as [1, 28, 28] or [2]; got {_show(value)}")
            if len(value) not in (1, 2, 3):
                raise FieldError(
                    f"expected [features] or [channels, height, width]; got {len(value)} numbers"
                )
            out = [_to_int(v) for v in value]
            if any(v < 1 for v in out):
                raise FieldError(f"every size must be at least 1; got {out}")
            if math.prod(out) > 50_000_000:
                raise FieldError(f"an input of {out} is far too large for this tool (over 50 million values)")
            return out
        raise AssertionError(f"unknown field kind {kind}")

    def _coerce_choices(self, value: Any) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise FieldError(f"expected a list of names from {', '.join(self.choices)}; got {_show(value)}")
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
                raise FieldError(f"must be greater than {_num(self.min)}; got {_num(v)}")
            if not self.min_exclusive and v < self.min:
                raise FieldError(f"must be at least {_num(self.min)}; got {_num(v)}")
        if self.max is not None and v > self.max:
            raise FieldError(f"must be at most {_num(self.max)}; got {_num(v)}")
        return v

    def describe_type(self) -> str:
        k = self.kind
        if k == "choice":
            return "one of " + ", ".join(self.choices)
        if k == "choices":
            return "a list of " + ", ".join(self.choices)
        rng = ""
        if self.min is not None and self.max is not None:
            rng = f" from {_num(self.min)} to {_num(self.max)}"
        elif self.min is not None:
            rng = f" {'>' if self.min_exclusive else '≥'} {_num(self.min)}"
        return {
            "int": "an integer",
            "float": "a number",
            "bool": "true or false",
            "str": "text",
            "int2": "an integer or a pair [h, w]",
            "padding": "an integer, a pair [h, w], 'same' or 'valid'",
            "floats": "a list of numbers",
            "shape": "a list of sizes",
        }.get(k, k) + rng


#: Numbers longer than this (in digits) are refused before any conversion: no setting needs one, and Python's
#: int/float conversions overflow or refuse (over 4,300 digits) on them.
MAX_DIGITS = 30


def _digits(v: int) -> int:
    """Decimal digits of an int, without converting it to text (which Python refuses past 4,300 digits)."""
    return max(1, int(abs(v).bit_length() * 0.30103) + 1)


def _too_long(n_digits: int) -> FieldError:
    return FieldError(f"a number with {n_digits:,} digits is far outside any sensible value")


def _show(value: Any) -> str:
    if isinstance(value, str):
        if len(value) > 60:
            return repr(value[:40]) + f"… ({len(value):,} characters)"
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and _digits(value) > MAX_DIGITS:
        return f"a number with about {_digits(value):,} digits"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false; quote it to mean text)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _num(v: float) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v) if _digits(v) <= MAX_DIGITS else f"a number with about {_digits(v):,} digits"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:g}"


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldError(f"expected an integer, got {_show(value)}")
    if isinstance(value, int):
        if _digits(value) > MAX_DIGITS:
            raise _too_long(_digits(value))
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        if not math.isfinite(value):
            raise FieldError(f"expected a whole number, got {value}")
        raise FieldError(f"expected a whole number, got {value:g}")
    if isinstance(value, str):
        s = value.strip().replace("_", "")
        if _INT_RE.match(s):
            if len(s.lstrip("+-")) > MAX_DIGITS:
                raise _too_long(len(s.lstrip("+-")))
            return int(s)
        if _FLOAT_RE.match(s) and float(s).is_integer():
            return int(float(s))
    raise FieldError(f"expected an integer, got {_show(value)}")


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise FieldError(f"expected a number, got {_show(value)}")
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
        raise FieldError(f"expected a number, got {_show(value)}")
    if not math.isfinite(v):
        raise FieldError(f"expected a finite number, got {_show(value)}")
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
    raise FieldError(f"expected true or false, got {_show(value)}")


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
