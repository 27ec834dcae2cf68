"""The two aggregates the ORM cannot spell: several GROUP BYs in one pass, and sums
over distinct (rep, lead) pairs.

The inner query is always an ORM queryset (visibility, filters and metric
definitions stay in one place); only the outer aggregate is SQL text, over
column aliases this module chose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When


def flag(q: Q) -> Case:
    """1 where `q` holds, else 0: a per-row flag to sum."""
    return Case(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def grouped_counts(
    qs: QuerySet[Any], dims: Mapping[str, Any], flags: Mapping[str, Q]
) -> dict[str, dict[Any, dict[str, int]]]:
    """Per dimension, per value: the row count ("n") and how many rows each flag marks.

    PostgreSQL reads the rows once (GROUPING SETS); SQLite, where the data is
    small, runs one GROUP BY per dimension.
    """
    names = list(dims)
    out: dict[str, dict[Any, dict[str, int]]] = {name: {} for name in names}
    annotated = qs.order_by().annotate(
        **{f"d_{k}": v for k, v in dims.items()}, **{f"f_{k}": flag(q) for k, q in flags.items()}
    )
    if connection.vendor == "postgresql" and names:
        inner, params = annotated.values(
            *[f"d_{k}" for k in names], *[f"f_{k}" for k in flags]
        ).query.sql_with_params()
        cols = ", ".join(f"x.d_{k}" for k in names)
        grouping = ", ".join(f"GROUPING(x.d_{k})" for k in names)
        sums = "".join(f", SUM(x.f_{k})" for k in flags)
        sets = ", ".join(f"(x.d_{k})" for k in names)
        sql = (
            f"SELECT {cols}, {grouping}, COUNT(*){sums} "  # noqa: S608 - our aliases only
            f"FROM ({inner}) AS x GROUP BY GROUPING SETS ({sets})"
        )
        for row in fetch(sql, params):
            values, marks = row[: len(names)], row[len(names) : 2 * len(names)]
            counts = row[2 * len(names) :]
            dim = next(i for i, m in enumerate(marks) if m == 0)
            out[names[dim]][values[dim]] = {
                "n": int(counts[0]),
                **{k: int(v or 0) for k, v in zip(flags, counts[1:], strict=True)},
            }
        return out
    for name in names:
        rows = annotated.values(f"d_{name}").annotate(
            _n=Count("pk"), **{f"_{k}": Sum(f"f_{k}") for k in flags}
        )
        for r in rows:
            out[name][r[f"d_{name}"]] = {
                "n": int(r["_n"]),
                **{k: int(r[f"_{k}"] or 0) for k in flags},
            }
    return out


def distinct_pairs_by(
    pairs: QuerySet[Any], *, group: Sequence[str], sums: Sequence[str]
) -> list[dict[str, Any]]:
    """Aggregate a values() queryset after removing duplicate rows.

    `pairs` selects the aliases in `group` and `sums` plus whatever makes a
    row unique (a lead id); each distinct row counts once: "n" is the number
    of distinct rows per group, and each name in `sums` is summed over them.
    """
    inner, params = pairs.order_by().distinct().query.sql_with_params()
    g = ", ".join(f"x.{k}" for k in group)
    s = "".join(f", SUM(x.{k})" for k in sums)
    sql = f"SELECT {g}, COUNT(*){s} FROM ({inner}) AS x GROUP BY {g}"  # noqa: S608 - our aliases
    out = []
    for row in fetch(sql, params):
        record = dict(zip(group, row[: len(group)], strict=True))
        record["n"] = int(row[len(group)])
        for k, v in zip(sums, row[len(group) + 1 :], strict=True):
            record[k] = v
        out.append(record)
    return out
