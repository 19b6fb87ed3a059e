"""Records to typed DataFrames: one :class:`Table` per endpoint says each column's kind, once.

The kinds:

``str``   text (object dtype)
``float`` a number; numbers sent as text, ``"NaN"`` included, become floats
``int``   a whole number (nullable ``Int64``)
``bool``  true/false (nullable ``boolean``)
``time``  an instant: epoch milliseconds, an ISO-8601 string or an aware datetime, shown in
          the api's time zone; 0 or missing is ``NaT``
``day``   a calendar day (``datetime64[ns]`` at midnight, no zone): ``"2024-05-10"``,
          ``"2024-05-10 00:00:00.000"``, ``"2024-05-10T04:00:00Z"``, a date, or epoch ms read in
          the time zone
``obj``   kept as sent (lists, nested objects)

Declared columns are always present, in order, with their dtype, also in an empty
frame; any other field the provider sent follows as an extra column. A provider
profile adds its own columns to a table by the table's name (``Provider.tables``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

if TYPE_CHECKING:
    import pandas as pd

Kinds = Mapping[str, str]
Extra = Tuple[Kinds, Kinds]  # a provider's own columns of a table: (always present, kept when sent)


@dataclass(frozen=True)
class Table:
    """The columns of one endpoint's DataFrame.

    Parameters
    ----------
    name : str
        The endpoint's name, by which a provider adds its own columns.
    columns : mapping of str to str
        Column name -> kind, always present, in this order.
    optional : mapping of str to str
        Kinds of columns kept only when some record has them.
    index : str, optional
        The column that becomes the index.
    """

    name: str
    columns: Kinds
    optional: Kinds = field(default_factory=dict)
    index: Optional[str] = None

    def frame(self, records: Iterable[Mapping[str, Any]], tz: tzinfo, extra: Optional[Extra] = None) -> pd.DataFrame:
        """A DataFrame of ``records``; ``extra`` are the provider's own columns of this table."""
        rows = records if isinstance(records, list) else list(records)
        names = list(self.columns)
        seen = set(names)
        for row in rows:
            if not seen.issuperset(row):  # most rows bring no new column: a check in C, no loop here
                for name in row:
                    if name not in seen:
                        seen.add(name)
                        names.append(name)
        return self.frame_columns({name: [row.get(name) for row in rows] for name in names}, tz, extra)

    def frame_columns(self, columns: Mapping[str, List[Any]], tz: tzinfo,
                      extra: Optional[Extra] = None) -> pd.DataFrame:
        """A DataFrame of columns of values (all as long), for answers too long to go through records
        (see :func:`columns_of`); declared columns that are missing are empty."""
        pandas()  # or a clear ImportError
        import pandas as pd

        always, sometimes = extra or ({}, {})
        kinds = {**sometimes, **self.optional, **always, **self.columns}
        length = len(next(iter(columns.values()))) if columns else 0
        names = list(self.columns) + [name for name in always if name not in self.columns]
        names += [name for name in columns if name not in names]
        data = {}
        for name in names:
            values = columns[name] if name in columns else [None] * length
            data[name] = convert(values, kinds.get(name, "auto"), tz)
        frame = pd.DataFrame(data, columns=names)
        if self.index is not None:
            frame = frame.set_index(self.index)
        return frame


def columns_of(records: Sequence[Mapping[str, Any]], skip: Iterable[str] = ()) -> Dict[str, List[Any]]:
    """Each key of the records (the first record's in order, then the others') -> its values, None where a
    record lacks it: a column at a time, far quicker than records for thousands of them."""
    if not records:
        return {}
    first = records[0].keys()
    keys = list(first)
    if all(record.keys() == first for record in records):  # the usual case, checked in C
        everywhere = set(keys)
    else:
        keys += sorted(set().union(*records) - set(keys))
        everywhere = set(first).intersection(*records)  # these are read in C (itemgetter), the rest with get
    unwanted = set(skip)
    return {key: list(map(itemgetter(key), records)) if key in everywhere else [r.get(key) for r in records]
            for key in keys if key not in unwanted}


def pandas() -> Any:
    """Import pandas, or explain how to install it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("output_format='pandas' needs pandas: pip install 'pytd-client[pandas]'") from None
    return pandas


def convert(values: List[Any], kind: str, tz: tzinfo) -> pd.Series:
    """One column of values as a Series of ``kind``."""
    return _CONVERTERS.get(kind, _auto)(values, tz)


def _text(values: List[Any], tz: tzinfo) -> pd.Series:
    import pandas as pd

    return pd.Series(values, dtype="object")


def _float(values: List[Any], tz: tzinfo) -> pd.Series:
    import numpy as np
    import pandas as pd

    try:  # numbers, None and numbers as text ("NaN" too): numpy reads them in C
        return pd.Series(np.array(values, dtype="float64"))
    except (TypeError, ValueError):  # anything else (a word, a dict) is missing
        return pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")


def _int(values: List[Any], tz: tzinfo) -> pd.Series:
    return _float(values, tz).round().astype("Int64")


def _bool(values: List[Any], tz: tzinfo) -> pd.Series:
    import pandas as pd

    return pd.Series([v if isinstance(v, bool) else None for v in values], dtype="boolean")


def _time(values: List[Any], tz: tzinfo) -> pd.Series:
    import pandas as pd

    strings = _all_text(values)
    if strings is not None:  # ISO strings only (the trader APIs): one vectorized parse
        parsed = pd.to_datetime(pd.Series(strings, dtype="object"), utc=True, format="ISO8601", errors="coerce")
        return parsed.astype("datetime64[ns, UTC]").dt.tz_convert(tz)
    column = pd.Series(values, dtype="object")
    result: pd.Series[pd.Timestamp] = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns, UTC]")
    numbers, texts = _split(column)
    numbers = numbers[numbers != 0]
    if len(numbers):
        result[numbers.index] = pd.to_datetime(numbers.astype("int64"), unit="ms", utc=True)
    if len(texts):
        result[texts.index] = pd.to_datetime(texts, utc=True, format="ISO8601", errors="coerce")
    moments = column[column.map(lambda v: isinstance(v, datetime))]
    if len(moments):
        result[moments.index] = pd.to_datetime(moments, utc=True)
    return result.dt.tz_convert(tz)


def _day(values: List[Any], tz: tzinfo) -> pd.Series:
    import pandas as pd

    strings = _all_text(values)
    if strings is not None:
        firsts = pd.Series([text[:10] if text is not None else None for text in strings], dtype="object")
        return pd.to_datetime(firsts, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    column = pd.Series(values, dtype="object")
    result = pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")
    numbers, texts = _split(column)
    numbers = numbers[numbers != 0]
    if len(numbers):
        moments = pd.to_datetime(numbers.astype("int64"), unit="ms", utc=True).dt.tz_convert(tz)
        result[numbers.index] = moments.dt.tz_localize(None).dt.normalize()
    if len(texts):
        result[texts.index] = pd.to_datetime(texts.str[:10], format="%Y-%m-%d", errors="coerce")
    days = column[column.map(lambda v: isinstance(v, date) and not isinstance(v, datetime))]
    if len(days):
        result[days.index] = pd.to_datetime(days.map(date.isoformat), format="%Y-%m-%d")
    return result


def _all_text(values: List[Any]) -> Optional[List[Optional[str]]]:
    """The values, if every one is a string or None and one is not empty; else None. (Blank strings need no care:
    the parsers read them as missing.)"""
    if not any(values) or not all(type(v) is str or v is None for v in values):
        return None
    return values


def _split(column: pd.Series) -> Any:
    """The finite numbers (bools excluded) and the non-empty strings of a column, each with its index."""
    is_number = column.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    numbers = column[is_number].astype("float64")
    numbers = numbers[numbers == numbers]  # NaN is missing
    is_text = column.map(lambda v: isinstance(v, str) and bool(v.strip()))
    return numbers, column[is_text].astype(str)


def _auto(values: List[Any], tz: tzinfo) -> pd.Series:
    import pandas as pd

    return pd.Series(values)


_CONVERTERS: Dict[str, Callable[[List[Any], tzinfo], pd.Series]] = {
    "str": _text, "obj": _text, "float": _float, "int": _int, "bool": _bool, "time": _time, "day": _day,
}
