"""articles.published_date: the calendar date an input's date text gives, or none when only
a guess would complete it (pipeline/text/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.text.dates import publication_date

SEPT_8 = dt.date(2016, 9, 8)


@pytest.mark.parametrize(
    "text",
    [
        "2016-09-08",
        "2016-09-08T10:00:00-04:00",  # the date as written, no conversion to UTC
        "Sept. 08, 2016",
        "September 8, 2016",
        "8 September 2016",
        "Thu, 08 Sep 2016 14:00:00 GMT",
        "  2016-09-08 ",
    ],
)
def test_the_forms_inputs_write_a_date_in_give_that_date(text):
    assert publication_date(text) == SEPT_8


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "last Tuesday",
        "September 2016",  # no day
        "Sep 8",  # no year
        "08/09/2016",  # 8 September or August 9
        "0001-01-01",  # a year no article has
    ],
)
def test_no_date_or_one_only_a_guess_completes_is_none(text):
    assert publication_date(text) is None


def test_a_numeric_date_that_reads_one_way_only_is_read():
    assert publication_date("13/09/2016") == dt.date(2016, 9, 13)
    assert publication_date("09/13/2016") == dt.date(2016, 9, 13)
    assert publication_date("07/07/2016") == dt.date(2016, 7, 7)  # either way round, the same day


def test_the_same_number_twice_is_one_reading_and_a_two_digit_year_is_a_guess():
    assert publication_date("8/08/2016") == dt.date(2016, 8, 8)
    assert publication_date("16/09/08") is None and publication_date("12-Sep-16") is None


def test_a_time_zone_dateutil_does_not_know_changes_nothing(recwarn):
    assert publication_date("Sep 8, 2016, 11:45 p.m. ET") == SEPT_8
    assert not [w for w in recwarn if "timezone" in str(w.message).lower()]
