"""Numbers as a reader sees them: the source's own words, with the value in one consistent form.

A figure is shown as its stated form, the words its source uses for the number, hedge included
("more than a quarter"), followed by the normalised value in brackets when that adds something:
shares in per cent, counts with thousands separators, multiples with ×, ranks as ordinals, the
hedge as a sign ("more than a quarter (> 25%)", "just one (1)", "one in six (16.7%)"). When
the stated form already shows the same digits ("over 500", "41%") it stands alone. A derived
figure has no words of its own: it is shown at a sensible precision (14.8%, ≈1,276, ≈1.66×), its
unrounded value in its entry (`unrounded`). See docs/numbers.md.
"""

from __future__ import annotations

import math
import re

# The sign a hedge puts before a normalised value: a bound, or closeness. "only" and "just"
# stress the number without moving it, so they have none.
HEDGE_SIGNS = {
    "more_than": ">", "over": ">", "at_least": "≥", "under": "<", "less_than": "<",
    "fewer_than": "<", "up_to": "≤", "nearly": "≲", "almost": "≲", "around": "≈",
    "approximately": "≈", "about": "≈", "only": "", "just": "",
}  # fmt: skip
FORMATS = {"bare", "percent", "int"}
_DIGITS = re.compile(r"[^0-9]")


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def percent(points: float) -> str:
    """A share in per cent at one decimal, a whole number without one: 25%, 16.7%, 0.42%."""
    if points != 0 and abs(points) < 1:
        return f"{points:.2g}%"
    text = f"{points:,.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def number(value: float, unit: str) -> str:
    """A value in its consistent display, no hedge: shares in per cent, counts with thousands
    separators, multiples with ×, ranks as ordinals."""
    if unit == "proportion":
        return percent(value * 100)
    if unit == "percent":
        return percent(value)
    if unit == "factor":
        return f"{value:.3g}×"
    if unit == "rank" and float(value).is_integer():
        return ordinal(int(value))
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}"


def normalised(value: float, unit: str, qualifier: str | None = None) -> str:
    """The normalised value with its hedge as a sign: "> 25%", "≲ 50%", "1,060", "> 2×"."""
    sign = HEDGE_SIGNS.get(qualifier or "", "")
    text = number(value, unit)
    return f"{sign} {text}" if sign else text


def in_sentence(stated: str) -> str:
    """The stated form as it reads inside a sentence: white space collapsed, and a capital the
    form has only because it opened the source's sentence lowered ("Forty-two", "More than")."""
    text = " ".join(str(stated).split())
    if len(text) > 1 and text[0].isupper() and (text[1].islower() or text[1] in " -"):
        return text[0].lower() + text[1:]
    return text


def stated(stated_form: str, value: float, unit: str, qualifier: str | None = None) -> str:
    """A figure as a reader sees it: its stated form, then the normalised value in brackets
    unless the stated form already shows the same digits ("over 500", "41%")."""
    words = in_sentence(stated_form)
    norm = normalised(value, unit, qualifier)
    digits = _DIGITS.sub("", norm)
    if digits and _DIGITS.sub("", words) == digits:
        return words
    return f"{words} ({norm})"


def approximate(value: float, unit: str) -> str:
    """A computed value at a sensible precision: 14.8%, ≈1,276, ≈1.66×; exact whole numbers
    and values that need no rounding are shown as they are."""
    if unit in ("percent", "proportion"):
        return number(value, unit)
    if unit == "factor":
        text = f"{value:.3g}×"
        return text if math.isclose(float(text[:-1]), value) else "≈" + text
    if float(value).is_integer():
        return number(value, unit)
    return f"≈{round(value):,}"


def unrounded(value: float, unit: str) -> str:
    """A computed value to twelve significant figures, in the same unit as `approximate`
    (a proportion in per cent): what a derived figure's entry shows beside its formula."""
    if unit == "proportion":
        return f"{value * 100:,.12g}%"
    if unit == "percent":
        return f"{value:,.12g}%"
    if unit == "factor":
        return f"{value:.12g}×"
    return f"{value:,.12g}"


def shown(
    value: float,
    unit: str,
    qualifier: str | None,
    stated_form: str | None,
    options: set[str] | frozenset[str] = frozenset(),
) -> str:
    """The one display of a ledger value. `stated_form` is a figure's words (None for a derived
    figure or a count); `options`: bare (no hedge, the normalised number), percent (the
    normalised value only, a share in per cent), int (rounded to a whole number)."""
    if "int" in options:
        rounded = float(round(value))
        text = number(rounded, unit)
        return text if rounded == value or stated_form is not None else "≈" + text
    if "bare" in options:
        return number(value, unit) if stated_form is not None else approximate(value, unit)
    if "percent" in options:
        if stated_form is None:
            return approximate(value, unit)
        return normalised(value, unit, qualifier)
    if stated_form is None:
        return approximate(value, unit)
    return stated(stated_form, value, unit, qualifier)
