"""Turn CSV text into typed values, or reject the row with a reason a person can act on.

Numbers are matched with explicit patterns instead of ``int()``/``float()``, which also accept
"nan", "inf", "1_000" and non-ASCII digits: none of those should reach the database.
"""

import datetime as dt
import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.utils import timezone

from .errors import RowRejected

# Text fields without a database limit still get one: a megabyte of "description" is a
# broken file, not a description.
TEXT_MAX_CHARS = 100_000
# Values kept in Customer.attributes (JSON).
ATTRIBUTE_MAX_CHARS = 1_000
# Larger integers lose precision in JavaScript and are identifiers rather than quantities.
ATTRIBUTE_MAX_INT_DIGITS = 15

INT_RE = re.compile(r"[+-]?[0-9]+")
# "12.0" is what many spreadsheets write for a whole number.
INT_WITH_ZERO_FRACTION_RE = re.compile(r"[+-]?[0-9]+\.0*")
DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# A leading zero marks a code ("007", a ZIP code), not a number.
ATTRIBUTE_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)")
ATTRIBUTE_FLOAT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][+-]?[0-9]+)?")

TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n"})

PG_INT_MIN, PG_INT_MAX = -(2**31), 2**31 - 1


def excerpt(value: str, limit: int = 40) -> str:
    value = value.replace("\n", " ").replace("\r", " ")
    return f"'{value}'" if len(value) <= limit else f"'{value[: limit - 1]}…'"


def text(value: str, *, column: str, max_length: int, required: bool = False) -> str:
    value = value.strip()
    if not value and required:
        raise RowRejected(f"{column} is required")
    if len(value) > max_length:
        raise RowRejected(
            f"{column} is {len(value):,} characters long; at most {max_length:,} allowed"
        )
    return value


def integer(
    value: str,
    *,
    column: str,
    required: bool = False,
    min_value: int = PG_INT_MIN,
    max_value: int = PG_INT_MAX,
) -> int | None:
    value = value.strip()
    if not value:
        if required:
            raise RowRejected(f"{column} is required")
        return None
    if INT_RE.fullmatch(value):
        number = int(value)
    elif INT_WITH_ZERO_FRACTION_RE.fullmatch(value):
        number = int(value.split(".")[0])
    else:
        raise RowRejected(f"{column}: {excerpt(value)} is not a whole number")
    if not min_value <= number <= max_value:
        raise RowRejected(f"{column}: {number} is out of range ({min_value} to {max_value})")
    return number


def decimal(
    value: str,
    *,
    column: str,
    max_digits: int,
    decimal_places: int,
    required: bool = False,
    min_value: Decimal | None = None,
) -> Decimal | None:
    value = value.strip()
    if not value:
        if required:
            raise RowRejected(f"{column} is required")
        return None
    if not DECIMAL_RE.fullmatch(value):
        raise RowRejected(f"{column}: {excerpt(value)} is not a number")
    return bounded_decimal(
        Decimal(value),
        column=column,
        max_digits=max_digits,
        decimal_places=decimal_places,
        min_value=min_value,
    )


@functools.cache
def _decimal_bounds(max_digits: int, decimal_places: int) -> tuple[Decimal, Decimal]:
    return Decimal(1).scaleb(-decimal_places), Decimal(10) ** (max_digits - decimal_places)


def bounded_decimal(
    number: Decimal,
    *,
    column: str,
    max_digits: int,
    decimal_places: int,
    min_value: Decimal | None = None,
) -> Decimal:
    """Round to the column's places and refuse what would overflow it (PostgreSQL would)."""
    step, limit = _decimal_bounds(max_digits, decimal_places)
    try:
        rounded = number.quantize(step, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        rounded = limit
    if abs(rounded) >= limit:
        raise RowRejected(f"{column}: {number} is too large (must be below {limit:,})")
    if min_value is not None and rounded < min_value:
        raise RowRejected(f"{column}: {number} must not be below {min_value}")
    return rounded


def boolean(value: str, *, column: str, default: bool | None = None) -> bool | None:
    word = value.strip().lower()
    if not word:
        return default
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowRejected(f"{column}: {excerpt(value)} is not yes/no, true/false or 1/0")


def date(value: str, *, column: str) -> dt.date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        raise RowRejected(f"{column}: {excerpt(value)} is not a date (use YYYY-MM-DD)") from None


def aware_datetime(value: str, *, column: str, required: bool = False) -> dt.datetime | None:
    """An ISO date or date-time; without an offset it is in the site's time zone."""
    value = value.strip()
    if not value:
        if required:
            raise RowRejected(f"{column} is required")
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise RowRejected(
            f"{column}: {excerpt(value)} is not a date-time (use YYYY-MM-DD HH:MM:SS)"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def email(value: str, *, column: str, max_length: int) -> str:
    value = text(value, column=column, max_length=max_length)
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise RowRejected(f"{column}: {excerpt(value)} is not an email address") from None
    return value


def slug(value: str, *, column: str, max_length: int) -> str:
    value = text(value, column=column, max_length=max_length, required=True)
    try:
        validate_slug(value)
    except ValidationError:
        raise RowRejected(
            f"{column}: {excerpt(value)} may only hold letters, digits, hyphens and underscores"
        ) from None
    return value


def choice(value: str, *, column: str, choices: list[str], default: str | None = None) -> str:
    word = value.strip().lower()
    if not word and default is not None:
        return default
    if word not in choices:
        raise RowRejected(
            f"{column}: unknown value {excerpt(value)}; expected one of {', '.join(choices)}"
        )
    return word


def attribute(value: str, *, column: str) -> Any:
    """Type a free column for ``Customer.attributes``: int, float, bool, text or None.

    Each value is typed on its own, by these rules: blank -> None; "12" -> 12 (no leading
    zeros, at most 15 digits); "3.5" -> 3.5; "true"/"false" (any case) -> bool; everything
    else stays text, including "yes"/"no", "007", "1e5" and "nan".
    """
    value = value.strip()
    if not value:
        return None
    if len(value) > ATTRIBUTE_MAX_CHARS:
        raise RowRejected(
            f"{column} is {len(value):,} characters long; at most {ATTRIBUTE_MAX_CHARS:,} allowed"
        )
    if ATTRIBUTE_INT_RE.fullmatch(value) and len(value.lstrip("-")) <= ATTRIBUTE_MAX_INT_DIGITS:
        return int(value)
    if ATTRIBUTE_FLOAT_RE.fullmatch(value) and len(value) <= 2 * ATTRIBUTE_MAX_INT_DIGITS:
        return float(value)
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    return value


def attribute_text(value: str, *, column: str) -> str | None:
    value = value.strip()
    if len(value) > ATTRIBUTE_MAX_CHARS:
        raise RowRejected(
            f"{column} is {len(value):,} characters long; at most {ATTRIBUTE_MAX_CHARS:,} allowed"
        )
    return value or None


def attribute_int(value: str, *, column: str) -> int | None:
    return integer(value, column=column, min_value=-(10**15), max_value=10**15)


def attribute_float(value: str, *, column: str) -> float | None:
    number = decimal(value, column=column, max_digits=30, decimal_places=6)
    return None if number is None else float(number)
