"""Admin building blocks shared by every model admin: a CSV export action and a paginator
for tables too large to count."""

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst, slugify

# Spreadsheets run a cell that starts with one of these as a formula; customer names and
# emails come from imported files, so they are not trusted.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_EXPORT_CHUNK_SIZE = 2000


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def export_fields(model: type[Model]) -> list:
    """Every concrete column of ``model``; foreign keys as their raw id."""
    return list(model._meta.concrete_fields)


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return f"'{value}"
    return str(value)


def csv_rows(queryset: QuerySet, fields: list) -> Iterator[list[str]]:
    yield [capfirst(field.verbose_name) + (" ID" if field.is_relation else "") for field in fields]
    # values_list reads plain columns in chunks: no model instances, no related lookups,
    # and memory stays flat however many rows were selected.
    values = queryset.order_by("pk").values_list(*(field.attname for field in fields))
    for row in values.iterator(chunk_size=_EXPORT_CHUNK_SIZE):
        yield [csv_cell(value) for value in row]


def stream_csv(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.action(description="Export selected %(verbose_name_plural)s to CSV", permissions=["view"])
def export_as_csv(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet):
    model = modeladmin.model
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    filename = f"{slugify(model._meta.verbose_name_plural)}-{stamp}.csv"
    return stream_csv(csv_rows(queryset, export_fields(model)), filename)


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts a whole large table.

    Unfiltered on PostgreSQL, the count is the planner's row estimate from ``pg_class``,
    read in microseconds. Otherwise rows are counted up to ``count_limit`` and no further:
    past that point the list shows ``count_limit`` rows' worth of pages, which is more than
    anyone pages through; narrowing the filters finds the rest.
    """

    count_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = table_row_estimate(queryset.model, using=queryset.db)
            if estimate is not None and estimate > self.count_limit:
                return estimate
        # COUNT over a LIMITed subquery: the database stops reading at the limit.
        return queryset.order_by()[: self.count_limit].count()


def table_row_estimate(model: type[Model], *, using: str = "default") -> int | None:
    """The planner's estimate of the table's row count, or None where there is none."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    # reltuples is -1 for a table that was never vacuumed or analysed.
    if row is None or row[0] < 0:
        return None
    return int(row[0])
