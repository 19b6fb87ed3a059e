"""Table.frame_columns and columns_of (long answers a column at a time), and the one-call parse of ISO times and
days: the same values and dtypes as the general path."""

from zoneinfo import ZoneInfo

import pandas as pd

from pyTD.frames import Table, columns_of, convert

NEW_YORK = ZoneInfo("America/New_York")


def test_columns_of_keeps_the_first_records_order_then_the_rest_and_fills_gaps():
    records = [{"b": 1, "a": 2}, {"a": 3, "c": 4}, {"d": None, "b": 5}]
    assert columns_of(records) == {"b": [1, None, 5], "a": [2, 3, None], "c": [None, 4, None],
                                   "d": [None, None, None]}
    assert columns_of(records, skip=("a", "c")) == {"b": [1, None, 5], "d": [None, None, None]}
    assert columns_of([]) == {}


def test_frame_columns_matches_frame():
    table = Table("test", {"id": "int", "when": "time", "day": "day", "amount": "float", "name": "str",
                           "missing": "str"})
    rows = [{"id": 1, "when": "2021-12-10T04:45:05+0000", "day": "2021-06-04", "amount": "1.5", "name": "x",
             "extra": [1]},
            {"id": 2, "when": None, "day": "", "amount": None, "name": None},
            {"id": 3, "when": "2024-03-29T00:00:00.000Z", "day": "2024-08-12T04:00:00Z", "amount": 2}]
    by_rows = table.frame(rows, NEW_YORK)
    by_columns = table.frame_columns(columns_of(rows), NEW_YORK)
    pd.testing.assert_frame_equal(by_rows, by_columns[list(by_rows.columns)])
    assert list(by_rows.columns) == ["id", "when", "day", "amount", "name", "missing", "extra"]
    assert str(by_rows["when"].dtype) == "datetime64[ns, America/New_York]"
    assert str(by_rows["day"].dtype) == "datetime64[ns]"
    assert by_rows["when"].iloc[0].isoformat() == "2021-12-09T23:45:05-05:00"
    assert by_rows["when"].isna().tolist() == [False, True, False]
    assert by_rows["day"].dt.strftime("%Y-%m-%d").tolist()[::2] == ["2021-06-04", "2024-08-12"]
    assert by_rows["day"].isna().tolist() == [False, True, False]
    empty = table.frame_columns({}, NEW_YORK)
    assert empty.empty and list(empty.columns) == list(table.columns)


def test_the_one_call_parse_equals_the_general_one():
    texts = ["2021-12-10T04:45:05+0000", None, "  ", "2024-03-29T00:00:00.000Z", "not a time", "2024-05-10"]
    # A number among the strings takes the general path; compare both on the strings alone.
    mixed = convert(texts + [1639111505000], "time", NEW_YORK)
    alone = convert(texts, "time", NEW_YORK)
    pd.testing.assert_series_equal(alone, mixed.iloc[:-1])
    assert mixed.iloc[-1].isoformat() == "2021-12-09T23:45:05-05:00"
    days = ["2021-06-04", None, "", "2024-05-10 00:00:00.000", "2024-08-12T04:00:00Z", "junk"]
    pd.testing.assert_series_equal(convert(days, "day", NEW_YORK),
                                   convert(days + [1715313600000], "day", NEW_YORK).iloc[:-1])
    assert convert([None, None], "time", NEW_YORK).isna().all()
