"""An article's publication date from the date text its input gives (`published_at`, kept
as given): "2016-09-08T10:00:00-04:00", "Sept. 08, 2016", "Thu, 08 Sep 2016 14:00 GMT" all
read 2016-09-08. python-dateutil reads the forms; what it would have to guess is left
undated:
- a date missing its day, month or year ("September 2016", "Sep 8"): dateutil fills the
  gap from a default, so the text is read with two defaults and kept only when both agree;
- an all-numeric date whose first two numbers could each be the month ("08/09/2016" is
  8 September in Britain, August 9 in the US);
- a year written in two digits ("16/09/08", "12-Sep-16");
- a year outside 1800-2200 (a misread number).
The date is the one written, in the writer's time zone (no conversion to UTC)."""

from __future__ import annotations

import datetime as dt
import re

_NUMERIC = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")  # a four-digit year somewhere
_DEFAULTS = (dt.datetime(1, 1, 1), dt.datetime(2, 2, 2))


def publication_date(text: str | None) -> dt.date | None:
    """The calendar date `text` gives, or None when it gives none or one only a guess would
    complete (see the module docstring)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:  # ISO 8601 first: the common case, and never ambiguous
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        day = _parsed(text)
    return day if day is not None and 1800 <= day.year <= 2200 else None


def _parsed(text: str) -> dt.date | None:
    from dateutil import parser

    numeric = _NUMERIC.match(text)
    if numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and int(numeric[1]) != int(numeric[2]):
        return None  # day and month could be either way round
    if not _YEAR.search(text):
        return None  # a two-digit year ("16/09/08", "12-Sep-16"): which numbers are the year is a guess
    try:  # a time zone only dateutil's own list names ("ET") changes nothing of the date as written
        first, second = (parser.parse(text, default=d, ignoretz=True).date() for d in _DEFAULTS)
    except (ValueError, OverflowError, TypeError):
        return None
    return first if first == second else None
