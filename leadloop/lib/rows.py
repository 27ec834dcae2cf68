"""Model instances from raw rows: the hot paths' one fixed statement, the ORM's objects.

A hot path that reads several models in one hand-written statement (the
token with its user, intake's campaign with its team and policy) still
hands on ordinary instances: each column goes through the converters the
ORM itself would apply (SQLite's naive datetimes made aware, JSON,
booleans), then `Model.from_db` builds the instance, so nothing downstream
can tell it from a queryset's. Building the loader is done once per
process; `build` is the per-row cost, a few microseconds a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


class RowLoader(Generic[M]):
    """Builds `model`'s instance from its columns in a raw row (`columns`, in order).

    `alias` is the table's alias in the statement; `names` limits the fields
    read (names or attnames; the rest stay deferred, as with `.only()`).
    """

    def __init__(
        self,
        model: type[M],
        alias: str,
        conn: BaseDatabaseWrapper,
        names: Sequence[str] | None = None,
    ) -> None:
        fields: list[Field[Any, Any]] = [
            f
            for f in model._meta.concrete_fields
            if names is None or f.name in names or f.attname in names
        ]
        self.model = model
        self.attnames = [f.attname for f in fields]
        qn = conn.ops.quote_name
        self.columns = [f"{alias}.{qn(str(f.column))}" for f in fields]
        # Per column, the (converter, expression) pairs the ORM would apply.
        self.converters: list[list[tuple[Callable[..., Any], Any]]] = []
        for f in fields:
            col = f.get_col(alias)
            convs = conn.ops.get_db_converters(col) + f.get_db_converters(conn)
            self.converters.append([(c, col) for c in convs])

    def build(self, values: Sequence[Any], conn: BaseDatabaseWrapper) -> M | None:
        """The instance, or None when the first column is NULL (an outer join found nothing)."""
        if values[0] is None:
            return None
        if len(values) != len(self.converters):
            raise ValueError(f"{len(values)} values for {len(self.converters)} columns")
        out = list(values)
        for i, convs in enumerate(self.converters):
            for conv, col in convs:
                out[i] = conv(out[i], col, conn)
        return self.model.from_db(conn.alias, self.attnames, out)
