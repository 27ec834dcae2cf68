"""Raw rows to model instances and back: the hot paths' fixed statements, the ORM's objects.

A hot path that reads several models in one hand-written statement (the
token with its user, intake's campaign with its team and policy) still
hands on ordinary instances: each column goes through the converters the
ORM itself would apply (SQLite's naive datetimes made aware, JSON,
booleans), then `Model.from_db` builds the instance, so nothing downstream
can tell it from a queryset's. Building the loader is done once per
process; `build` is the per-row cost, a few microseconds a model. New rows
go the other way through `insert_rows`: the INSERT's text is built once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=Model)

# Parameters per INSERT, under SQLite's (32,766) and PostgreSQL's (65,535) limits.
MAX_PARAMS = 30_000
# The statements kept per model: those of up to this many rows (the hot paths
# write one to a few rows; a bulk write's odd sizes are built as needed).
KEEP_ROWS = 16


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


# ---------------------------------------------------------------- values to write

# A value's way to the driver: the instance's attribute (`pre_save`), then the
# field's `get_db_prep_save`, four or five calls deep for every column. Measured
# in-process on PostgreSQL (best of 5 x 2,000, the shared 2-core machine): one
# intake's rows (a lead of 55 columns, two clocks, two events) took 69-79 us to
# prepare through the ORM's calls, 21-24 + 2 x 4-6 + 2 x 4-6 us this way, ~85 us
# of a ~4 ms intake; the bench's raw intake hands those values over as they are. For the plain field
# classes below, and a value of the type the class stores, the chain is known
# to end in the value itself or in one backend adapter: those are called
# directly. Anything else (another type, a subclass that prepares otherwise,
# JSON, decimals, dates, auto_now) goes the ORM's whole way. The shortcut is
# checked against the ORM's answer field by field in lib/tests/test_rows.py.
Prepare = Callable[[Any, BaseDatabaseWrapper], Any]
_PREPARING = ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")


def _prepares_as(kind: type[Field[Any, Any]], base: type[Any]) -> bool:
    """Whether `kind` prepares a value exactly as `base` does (no override on the way)."""
    return all(getattr(kind, name, None) is getattr(base, name, None) for name in _PREPARING)


def value_preparer(field: Field[Any, Any]) -> Prepare:
    """`field.get_db_prep_save(value, conn)`, short where the ORM's is a no-op or one adapter."""
    full = field.get_db_prep_save
    kind = type(field)

    def orm(value: Any, conn: BaseDatabaseWrapper) -> Any:
        return full(value, conn)

    if _prepares_as(kind, CharField) or _prepares_as(kind, TextField):

        def text(value: Any, conn: BaseDatabaseWrapper) -> Any:
            return value if value is None or type(value) is str else full(value, conn)

        return text
    if _prepares_as(kind, BooleanField):

        def flag(value: Any, conn: BaseDatabaseWrapper) -> Any:
            return value if value is None or type(value) is bool else full(value, conn)

        return flag
    if _prepares_as(kind, IntegerField):
        internal = field.get_internal_type()

        def number(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None:
                return None
            if type(value) is int:
                return conn.ops.adapt_integerfield_value(value, internal)
            return full(value, conn)

        return number
    if kind.get_db_prep_value is AutoFieldMixin.get_db_prep_value and all(
        getattr(kind, name) is getattr(IntegerField, name)
        for name in ("get_db_prep_save", "get_prep_value", "to_python")
    ):

        def row_id(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None:
                return None
            if type(value) is int:
                return conn.ops.validate_autopk_value(value)
            return full(value, conn)

        return row_id
    if _prepares_as(kind, DateTimeField):

        def moment(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None or (type(value) is datetime and value.utcoffset() is not None):
                return conn.ops.adapt_datetimefield_value(value)
            return full(value, conn)

        return moment
    if _prepares_as(kind, DateField):

        def day(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None or type(value) is date:
                return conn.ops.adapt_datefield_value(value)
            return full(value, conn)

        return day
    if _prepares_as(kind, DecimalField):
        digits, places = getattr(field, "max_digits", None), getattr(field, "decimal_places", None)

        def amount(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None:
                return conn.ops.adapt_decimalfield_value(None, digits, places)
            return full(value, conn)

        return amount
    if isinstance(field, ForeignKey) and kind.get_db_prep_save is ForeignKey.get_db_prep_save:
        target = value_preparer(field.target_field)

        def reference(value: Any, conn: BaseDatabaseWrapper) -> Any:
            if value is None:
                return None
            if type(value) is int:
                return target(value, conn)
            return full(value, conn)

        return reference
    return orm


def value_reader(field: Field[Any, Any]) -> Callable[[Model], Any]:
    """`field.pre_save(obj, add=True)`: the attribute, unless the field sets it (auto_now)."""
    pre_save = type(field).pre_save
    if pre_save is Field.pre_save or (
        pre_save in (DateField.pre_save, DateTimeField.pre_save)
        and not (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    ):
        return attrgetter(field.attname)
    return lambda obj: field.pre_save(obj, True)


class RowInserter(Generic[M]):
    """New rows of `model` in one INSERT whose text is built once per row count, ids back.

    What `bulk_create` writes (every concrete column but an auto id, each
    value prepared by its field as the ORM prepares it, `pre_save` applied;
    `value_reader` and `value_preparer` take the short way to the same values),
    without compiling the INSERT again for every call: on the intake path the
    ORM compiled three INSERTs a request (the lead, its clocks, its events).
    Like `bulk_create` it sends no signals; the instances get their ids and
    count as saved.
    """

    def __init__(self, model: type[M], conn: BaseDatabaseWrapper) -> None:
        meta = model._meta
        pk = meta.pk
        assert pk is not None
        self.pk = pk
        self.fields = [
            f
            for f in meta.concrete_fields
            if not (f is pk and getattr(f, "db_returning", False)) and not f.generated
        ]
        qn = conn.ops.quote_name
        self.head = (
            f"INSERT INTO {qn(meta.db_table)} "  # noqa: S608 -- names from the model
            f"({', '.join(qn(str(f.column)) for f in self.fields)}) VALUES "
        )
        self.row = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        self.tail = f" RETURNING {qn(str(pk.column))}"
        self.statements: dict[int, str] = {}
        self.values = [(value_reader(f), value_preparer(f)) for f in self.fields]

    def insert(self, objs: Sequence[M], conn: BaseDatabaseWrapper) -> list[M]:
        objs = list(objs)
        # Within both databases' limits on parameters per statement.
        batch = max(1, MAX_PARAMS // len(self.fields))
        for start in range(0, len(objs), batch):
            self._insert(objs[start : start + batch], conn)
        return objs

    def _insert(self, objs: list[M], conn: BaseDatabaseWrapper) -> None:
        n = len(objs)
        sql = self.statements.get(n)
        if sql is None:
            sql = self.head + ", ".join([self.row] * n) + self.tail
            if n <= KEEP_ROWS:
                self.statements[n] = sql
        params = [prepare(read(obj), conn) for obj in objs for read, prepare in self.values]
        with conn.cursor() as cur:
            cur.execute(sql, params)
            ids = [row[0] for row in cur.fetchall()]
        for obj, pk in zip(objs, ids, strict=True):
            setattr(obj, self.pk.attname, pk)
            obj._state.adding = False
            obj._state.db = conn.alias


_inserters: dict[tuple[type[Model], str], RowInserter[Any]] = {}


def insert_rows(objs: Sequence[M]) -> list[M]:
    """Insert unsaved instances of one model in one statement (`RowInserter`); them, saved."""
    if not objs:
        return list(objs)
    model = type(objs[0])
    conn = connections[router.db_for_write(model)]
    key = (model, conn.alias)
    inserter = _inserters.get(key)
    if inserter is None:
        inserter = _inserters[key] = RowInserter(model, conn)
    return inserter.insert(objs, conn)
