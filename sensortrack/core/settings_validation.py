"""Range rules for analysis settings, chosen by the unit in each field's name.

A setting out of range does not just give odd results: `vqf_tau_acc_s = 0` aborts the whole process
inside VQF's C++ code (an assertion, exit 134), taking a recording's library entry with it. So every
value from config.toml or `--set` is parsed strictly and checked here before any analysis runs.

The rules go by the name, not by a list of fields, so a field added to AnalysisSettings later is
checked too:

| name                               | rule                                                    |
|------------------------------------|---------------------------------------------------------|
| ends `_s`                          | a duration: finite, > 0, at most a day                  |
| ends `_hz`                         | a frequency: finite, > 0; filter corners below Nyquist  |
| ends `_deg`                        | an angle: finite, 0–180                                 |
| has `_share_of_` or ends `_scale`  | a fraction of something: finite, in (0, 1]              |
| ends `_share`                      | a multiple of something: finite, > 0                    |
| ends `_order`                      | a filter order: integer 1–10                            |
| any other int                      | a count: integer ≥ 1                                    |
| any other float                    | finite, ≥ 0                                             |
| bool                               | true or false, nothing else                             |

and a `min_X` setting may not exceed its `max_X`.
"""

from __future__ import annotations

import math
import re
from typing import Any

# A time setting longer than a day describes no training session; beyond it lie only typos and
# values that overflow filter coefficients.
MAX_DURATION_S = 86_400.0
# Butterworth orders past 10 gain nothing for body movement and lose numerical headroom.
MAX_FILTER_ORDER = 10
# Names of frequency settings that are filter corners: they must lie below Nyquist.
_CORNER_WORDS = ("lowpass", "highpass", "cutoff", "corner")

_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_FLOAT_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def finite_float(text: str) -> float:
    """An argparse `type` for a number on the command line: ASCII digits, finite.

    float() alone takes `nan`, `inf`, `1e999` and `1_0`; a speed or a duration of infinity ran
    into the clocks as an internal error (session 9), a NaN compared false with every limit.
    """
    import argparse

    if not _FLOAT_TEXT.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    number = float(text.strip())
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return number


def parse_value(key: str, value: Any, default: Any) -> Any:
    """`value` (from TOML or the text of `--set`) as the type of `default`; ValueError naming `key`.

    Text is parsed strictly: ASCII digits only, no `1_0`, no `nan`/`inf` — Python's own int() and
    float() accept all three.
    """
    kind = type(default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"analysis setting '{key}' needs true or false, got {value!r}")
    if isinstance(value, bool):  # bool is an int to Python, not to a user
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"analysis setting '{key}' needs {what}, got {value!r}")
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
            return int(value.strip())
        raise ValueError(f"analysis setting '{key}' needs a whole number, got {value!r}")
    if kind is float:
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str) and _FLOAT_TEXT.fullmatch(value.strip()):
            number = float(value.strip())
        else:
            raise ValueError(f"analysis setting '{key}' needs a number, got {value!r}")
        if not math.isfinite(number):
            raise ValueError(f"analysis setting '{key}' must be a finite number, got {value!r}")
        return number
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"analysis setting '{key}' needs text, got {value!r}")
    raise ValueError(f"analysis setting '{key}' cannot be set from a config file")


def range_problem(key: str, value: Any, analysis_rate_hz: float) -> str | None:
    """Why `value` is out of range for the setting `key`, or None when it is fine."""
    if isinstance(value, bool) or isinstance(value, str):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    if key.endswith("_s"):
        if not 0.0 < value <= MAX_DURATION_S:
            return f"is a duration: more than 0 and at most {MAX_DURATION_S:g} s"
    elif key.endswith("_hz"):
        if not value > 0.0:
            return "is a frequency: more than 0 Hz"
        nyquist_hz = analysis_rate_hz / 2.0
        if any(word in key for word in _CORNER_WORDS) and not value < nyquist_hz:
            return (
                f"is a filter corner: below {nyquist_hz:g} Hz, half the {analysis_rate_hz:g} Hz "
                "the analysis runs at (Nyquist)"
            )
    elif key.endswith("_deg"):
        if not 0.0 <= value <= 180.0:
            return "is an angle: 0 to 180 degrees"
    elif "_share_of_" in key or key.endswith("_scale"):
        if not 0.0 < value <= 1.0:
            return "is a fraction: more than 0 and at most 1"
    elif key.endswith("_share"):
        if not value > 0.0:
            return "is a multiple: more than 0"
    elif key.endswith("_order"):
        if not 1 <= value <= MAX_FILTER_ORDER:
            return f"is a filter order: 1 to {MAX_FILTER_ORDER}"
    elif isinstance(value, int):
        if value < 1:
            return "is a count: at least 1"
    elif value < 0:
        return "must not be negative"
    return None


def check_settings(values: dict[str, Any], analysis_rate_hz: float) -> None:
    """ValueError (one line, naming the setting) for the first value out of range in `values`,
    the complete set of settings after overrides."""
    for key, value in values.items():
        problem = range_problem(key, value, analysis_rate_hz)
        if problem is not None:
            raise ValueError(f"analysis setting '{key}' {problem}, got {value!r}")
    for key, value in values.items():
        if not key.startswith("min_"):
            continue
        partner = "max_" + key.removeprefix("min_")
        if partner in values and isinstance(value, (int, float)) and value > values[partner]:
            raise ValueError(
                f"analysis setting '{key}' ({value!r}) must not exceed '{partner}' ({values[partner]!r})"
            )


def validated_overrides(defaults: dict[str, Any], overrides: dict[str, Any], analysis_rate_hz: float) -> dict[str, Any]:
    """The overrides parsed to the defaults' types, after checking the merged settings' ranges."""
    clean: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in defaults:
            raise ValueError(f"unknown analysis setting '{key}'")
        clean[key] = parse_value(key, value, defaults[key])
    check_settings({**defaults, **clean}, analysis_rate_hz)
    return clean
