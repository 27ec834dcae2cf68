"""Sample values per column, and the distinct values of a column, for guessing and the wizard.

A guess made from the first row alone goes wrong the moment that row is
empty (other CRMs map an empty first row and give up); the sample collects
non-empty values from up to two thousand rows instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from leadloop.imports.reading import Table, open_table

SAMPLE_ROWS = 2000
VALUES_PER_COLUMN = 20
DISTINCT_LIMIT = 200


@dataclass
class ColumnValues:
    """What a column holds: its distinct non-empty values with counts, up to a cap."""

    counts: dict[str, int] = field(default_factory=dict)
    filled: int = 0  # non-empty cells seen
    more: bool = False  # more distinct values than the cap: `counts` is not all of them

    def first(self, limit: int = VALUES_PER_COLUMN) -> list[str]:
        """Up to `limit` distinct values, in the order first seen (for a preview)."""
        return list(self.counts)[:limit]


@dataclass
class Sample:
    """Non-empty values per column from the first rows of a file, and how the file was read."""

    header: list[str]
    columns: dict[str, ColumnValues]
    rows: int  # rows looked at
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]

    def values(self, column: str, limit: int = VALUES_PER_COLUMN) -> list[str]:
        return self.columns[column].first(limit)


def _collect(
    table: Table, columns: Iterable[str] | None, max_rows: int | None, limit: int
) -> tuple[dict[str, ColumnValues], int]:
    wanted = table.header if columns is None else list(columns)
    positions = [(table.header.index(name), ColumnValues()) for name in wanted]
    rows = 0
    for _line, cells in table.rows:
        rows += 1
        for position, column in positions:
            value = cells[position]
            if not value:
                continue
            column.filled += 1
            counts = column.counts
            if value in counts:
                counts[value] += 1
            elif len(counts) < limit:
                counts[value] = 1
            else:
                column.more = True
        if max_rows is not None and rows >= max_rows:
            break
    return {name: column for name, (_, column) in zip(wanted, positions, strict=True)}, rows


def sample(
    source: str | Path | Table,
    *,
    sheet: str | None = None,
    max_rows: int = SAMPLE_ROWS,
    distinct_limit: int = DISTINCT_LIMIT,
) -> Sample:
    """Up to `distinct_limit` distinct non-empty values per column from the first `max_rows` rows.

    Given a path it opens the file itself (ReadError as `open_table`); given
    an open Table it reads from it, and those rows are then used up.
    """
    if isinstance(source, Table):
        return _sample(source, max_rows, distinct_limit)
    with open_table(source, sheet=sheet) as table:
        return _sample(table, max_rows, distinct_limit)


def _sample(table: Table, max_rows: int, limit: int) -> Sample:
    columns, rows = _collect(table, None, max_rows, limit)
    return Sample(
        header=list(table.header),
        columns=columns,
        rows=rows,
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        sheets=list(table.sheets),
    )


def distinct_values(
    source: str | Path,
    columns: Iterable[str],
    *,
    sheet: str | None = None,
    limit: int = DISTINCT_LIMIT,
) -> dict[str, ColumnValues]:
    """The distinct non-empty values of some columns over the whole file (stage, owner values).

    One pass over the file; at most `limit` distinct values per column are
    kept (`more` says there were others), so memory stays bounded.
    """
    columns = list(columns)
    with open_table(source, sheet=sheet) as table:
        missing = [name for name in columns if name not in table.header]
        if missing:
            raise KeyError(f"no column {missing[0]!r} in the file")
        found, _ = _collect(table, columns, None, limit)
        return found
