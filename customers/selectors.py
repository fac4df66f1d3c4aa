"""Read-side queries for the customer pages.

Each one pulls the related rows it shows in the same query, and the lists are paginated, so
a page costs the same number of queries however many rows it shows.
"""

from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Max, Q, QuerySet, Sum

from customers.models import CUSTOMER_COUNT_TABLE, Customer, Interaction, Segment
from scoring.selectors import customers_with_churn_risk, latest_scores_with_risk

# Sort keys accepted from the URL, mapped to model fields. Every ordering but a unique
# column's ends on the primary key, so that equal values (many customers share a tenure)
# never shuffle between pages.
CUSTOMER_SORTS: dict[str, str] = {
    "external_id": "external_id",
    "name": "name",
    "tenure": "tenure_months",
    "monthly_spend": "monthly_spend",
    "signup_date": "signup_date",
    "churn_probability": "churn_probability",
}
DEFAULT_CUSTOMER_SORT = "external_id"
# Sorts on a unique column, which need no primary key tie-break.
UNIQUE_SORTS = frozenset({"external_id"})

# The latest churn score's risk class; "unscored" lists customers no model has scored yet.
RISK_CLASSES = ("high", "medium", "low", "unscored")

CHURN_LABELS: dict[str, bool | None] = {
    "churned": True,
    "retained": False,
    "unknown": None,
}
# Retained or not known yet: the customers there is still time to keep, and the only ones
# the dashboard's risk figures and retention campaigns count.
CURRENT_CUSTOMERS = "current"


def current_customers_q(prefix: str = "") -> Q:
    """Customers not known to have churned (``churned`` False or blank)."""
    return ~Q(**{f"{prefix}churned": True})


def customer_sort_keys() -> list[str]:
    """Every accepted value of ``sort``: each key ascending, then prefixed with ``-``."""
    return [*CUSTOMER_SORTS, *(f"-{key}" for key in CUSTOMER_SORTS)]


# From this offset on, a page finds its ids first (see CustomerListQuerySet).
DEEP_PAGE_OFFSET = 1000
# Sorted by churn probability, a list of fewer customers than this (a search, say) is
# sorted as a whole: cheaper than walking the probability index past the ones left out.
SCORED_FIRST_FROM = 5000


class KeptCustomerCount:
    """The number of all customers, summed from the rows PostgreSQL triggers keep (see
    ``CUSTOMER_COUNT_TABLE``) instead of counted: exact, and about as cheap at 100,000
    customers as at ten. PostgreSQL only."""

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(SUM(delta), 0) FROM {CUSTOMER_COUNT_TABLE}")
            return int(cursor.fetchone()[0])


class CustomerListQuerySet(QuerySet):
    """The customer list: a slice (one page) is read the cheapest way that gives the same
    rows in the same order, as a list.

    * Sorted by churn probability, never-scored customers come last, so every page before
      them holds scored customers only. Asked for as such (an inner join, where NULLS LAST
      can go, so one ascending index serves both directions), the database walks the latest
      score index and stops after the page (about a millisecond) instead of sorting every
      customer (100 ms and more on 100,000); only a page that comes back short, the last
      ones, is read again in full.
    * A deep page (offset ``DEEP_PAGE_OFFSET`` or more) first reads its ids alone, then its
      rows: the offset is skipped over narrow index entries instead of joined rows.
    * Once counted, a deep page nearer the end than the start is read in the reverse order
      and turned round, so it skips the entries after it, not those before: the last of
      100,000 customers' pages skips none instead of 99,950 (25 ms of SQL each time).
    * Once counted (a paginator counts before it slices), a page that reaches the end is
      asked for without a LIMIT. With a LIMIT as small as a rare search's matches,
      PostgreSQL bets on meeting them early while walking the sort index, and reads the
      whole table when they are not there; without one it reads the search index.
    """

    # The ordering of the scored customers alone, when sorted by churn probability.
    scored_ordering: tuple | None = None
    # Something with the same number of rows that is cheaper to count, when there is one.
    count_source: QuerySet | KeptCustomerCount | None = None
    _counted: int | None = None

    def _clone(self):
        clone = super()._clone()
        clone.scored_ordering = self.scored_ordering
        # Not count_source: a further filter on the clone would make its count wrong.
        return clone

    def count(self) -> int:
        if self._result_cache is not None:
            return len(self._result_cache)
        if self._counted is None:
            source = self.count_source if self.count_source is not None else super()
            self._counted = source.count()
        return self._counted

    def __getitem__(self, k):
        if (
            not isinstance(k, slice)
            or k.stop is None
            or k.step is not None
            or self._result_cache is not None
            or self._fields is not None
            or self.query.is_sliced
        ):
            return super().__getitem__(k)
        start, stop = k.start or 0, k.stop
        if stop <= start or (self._counted is not None and start >= self._counted):
            return []
        to_the_end = self._counted is not None and stop >= self._counted
        if self.scored_ordering and (self._counted is None or self._counted >= SCORED_FIRST_FROM):
            scored = self.filter(latest_churn_score__isnull=False).order_by(*self.scored_ordering)
            rows = scored._rows(start, stop, to_the_end=to_the_end, only_whole=True)
            if rows is not None:
                return rows
        if self._counted is not None and start >= DEEP_PAGE_OFFSET and self._counted - stop < start:
            return self._rows_from_the_end(start, stop)
        return self._rows(start, stop, to_the_end=to_the_end)

    def _rows_from_the_end(self, start: int, stop: int) -> list[Customer]:
        # reverse() flips every ordering term, NULLS LAST to NULLS FIRST included, and the
        # ordering always ends in a unique key, so the reversed rows are exactly these ones.
        counted = self._counted
        rows = self.reverse()._rows(max(0, counted - stop), counted - start, to_the_end=False)
        return rows[::-1]

    def _rows(
        self, start: int, stop: int, *, to_the_end: bool, only_whole: bool = False
    ) -> list[Customer] | None:
        """Rows ``start`` to ``stop``; with ``only_whole``, None when fewer come back."""
        size, limit = stop - start, None if to_the_end else stop
        if start < DEEP_PAGE_OFFSET:
            rows = list(super().__getitem__(slice(start, limit)))[:size]
            return None if only_whole and len(rows) < size else rows
        ids = list(QuerySet.__getitem__(self.values_list("pk", flat=True), slice(start, limit)))
        ids = ids[:size]
        if only_whole and len(ids) < size:
            return None
        found = {customer.pk: customer for customer in self.filter(pk__in=ids)}
        return [found[pk] for pk in ids if pk in found]


def customer_list(
    *, filters: dict | None = None, columns: Sequence[str] | None = None
) -> QuerySet[Customer]:
    """Customers matching ``filters``, segment joined in, with their latest churn risk.

    ``filters`` keys, all optional: ``q`` (search), ``segment`` (pk), ``country``, ``plan``,
    ``risk`` (one of ``RISK_CLASSES``), ``churn`` (a key of ``CHURN_LABELS`` or
    ``CURRENT_CUSTOMERS``) and ``sort``
    (one of ``customer_sort_keys()``). Empty values are ignored, so a form's
    ``cleaned_data`` can be passed as it is. ``columns``, when given, are the only fields
    loaded (a page that shows a few columns need not parse every row's JSON attributes).
    A slice of it is a list (one page, see ``CustomerListQuerySet``).
    """
    filters = filters or {}
    queryset = customers_with_churn_risk(
        CustomerListQuerySet(model=Customer).select_related("segment")
    )
    if columns is not None:
        queryset = queryset.only(*columns)

    if search := (filters.get("q") or "").strip():
        queryset = queryset.filter(
            Q(external_id__icontains=search)
            | Q(name__icontains=search)
            | Q(email__icontains=search)
        )
    if segment := filters.get("segment"):
        queryset = queryset.filter(segment_id=segment)
    if country := filters.get("country"):
        queryset = queryset.filter(country=country)
    if plan := filters.get("plan"):
        queryset = queryset.filter(plan=plan)
    if (risk := filters.get("risk")) == "unscored":
        queryset = queryset.filter(churn_risk__isnull=True)
    elif risk in RISK_CLASSES:
        queryset = queryset.filter(churn_risk=risk)
    if (churn := filters.get("churn")) == CURRENT_CUSTOMERS:
        queryset = queryset.filter(current_customers_q())
    elif churn in CHURN_LABELS:
        label = CHURN_LABELS[churn]
        queryset = queryset.filter(Q(churned__isnull=True) if label is None else Q(churned=label))

    sort_field, descending = _sort_field(filters.get("sort"))
    queryset = queryset.order_by(*_customer_ordering(filters.get("sort")))
    # Cheaper counts of the same rows: all customers (kept by triggers) when nothing
    # filters, the latest scores when only the risk does. Any other filter (sort and page do
    # not filter) rules both out, new filters included.
    narrowed = any(value for key, value in filters.items() if key not in ("risk", "sort", "page"))
    if not narrowed and not risk and connection.vendor == "postgresql":
        queryset.count_source = KeptCustomerCount()
    elif risk in RISK_CLASSES and risk != "unscored" and not narrowed:
        # Every latest-score row belongs to one existing customer (its primary key is the
        # customer's, a foreign key), so counting them alone skips a join of every customer.
        queryset.count_source = latest_scores_with_risk(risk)
    if sort_field == "churn_probability":
        probability = F(sort_field).desc() if descending else F(sort_field).asc()
        queryset.scored_ordering = (probability, "-pk" if descending else "pk")
    return queryset


def _sort_field(sort: str | None) -> tuple[str, bool]:
    """The field a ``sort`` value orders by, and whether descending."""
    sort = sort or DEFAULT_CUSTOMER_SORT
    field = CUSTOMER_SORTS.get(sort.removeprefix("-"))
    if field is None:
        return CUSTOMER_SORTS[DEFAULT_CUSTOMER_SORT], False
    return field, sort.startswith("-")


def _nullable(field: str) -> bool:
    try:
        return Customer._meta.get_field(field).null
    except FieldDoesNotExist:  # an annotation, such as the churn probability
        return True


def _customer_ordering(sort: str | None) -> list:
    field, descending = _sort_field(sort)
    if _nullable(field):
        # Databases disagree on where NULLs go; customers without a value always sort last.
        expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    else:
        # Said of a column that has no NULLs, NULLS LAST would only stop PostgreSQL from
        # reading a descending order backwards off the ascending index.
        expression = F(field).desc() if descending else F(field).asc()
    if field in UNIQUE_SORTS:
        # No ties to break, and an extra key would keep the database off the unique index.
        return [expression]
    return [expression, "-pk" if descending else "pk"]


def customer_filter_options() -> dict[str, list[tuple[str, str]]]:
    """The choices offered by the customer filters, as ``(value, label)`` pairs.

    Returns ``{"segments": [...], "countries": [...], "plans": [...]}``, in one query since
    the list page asks on every keystroke of its search box. A plain DISTINCT reads every
    customer row; the recursive queries below instead hop through the country and plan
    indexes from one value to the next, so they cost one index probe per distinct value
    (about 2 ms instead of 100 ms on 100,000 customers, on PostgreSQL and SQLite alike).
    """
    customers = connection.ops.quote_name(Customer._meta.db_table)
    segments = connection.ops.quote_name(Segment._meta.db_table)
    # Only table names are interpolated, and they come from model metadata.
    sql = f"""
        WITH RECURSIVE
        countries(v) AS (
            SELECT MIN(country) FROM {customers} WHERE country > ''
            UNION ALL
            SELECT (SELECT MIN(country) FROM {customers} WHERE country > countries.v)
            FROM countries WHERE countries.v IS NOT NULL
        ),
        plans(v) AS (
            SELECT MIN(plan) FROM {customers} WHERE plan > ''
            UNION ALL
            SELECT (SELECT MIN(plan) FROM {customers} WHERE plan > plans.v)
            FROM plans WHERE plans.v IS NOT NULL
        )
        SELECT 'segments', CAST(id AS TEXT), name FROM {segments}
        UNION ALL SELECT 'countries', v, v FROM countries WHERE v IS NOT NULL
        UNION ALL SELECT 'plans', v, v FROM plans WHERE v IS NOT NULL
    """
    options: dict[str, list[tuple[str, str]]] = {"segments": [], "countries": [], "plans": []}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for key, value, label in cursor.fetchall():
            options[key].append((value, label))
    for choices in options.values():
        choices.sort(key=lambda choice: choice[1].casefold())
    return options


def customer_exists() -> bool:
    return Customer.objects.exists()


def customer_get(*, pk: int) -> Customer:
    """The customer with ``pk``, segment joined in; raises ``Customer.DoesNotExist``."""
    return Customer.objects.select_related("segment").get(pk=pk)


def customer_timeline(
    *, customer: Customer, page: int | str | None = 1, per_page: int = 25
) -> Page:
    """One page of the customer's interactions, most recent first.

    A page number that is not a number or is out of range gives the first or last page
    rather than an error, since it comes straight from the URL.
    """
    interactions = (
        Interaction.objects.filter(customer=customer)
        .select_related("product", "content_item")
        .order_by("-occurred_at", "-pk")
    )
    return Paginator(interactions, per_page).get_page(page)


def customer_activity_summary(*, customer: Customer) -> dict:
    """Totals over all of the customer's interactions, in one aggregate query.

    Keys: ``interactions``, ``purchases``, ``purchase_value``, ``returns``,
    ``support_tickets`` and ``last_activity`` (None when there is no interaction).
    """
    kind = Interaction.Kind
    return Interaction.objects.filter(customer=customer).aggregate(
        interactions=Count("pk"),
        purchases=Count("pk", filter=Q(kind=kind.PURCHASE)),
        purchase_value=Sum("value", filter=Q(kind=kind.PURCHASE), default=Decimal("0")),
        returns=Count("pk", filter=Q(kind=kind.RETURN)),
        support_tickets=Count("pk", filter=Q(kind=kind.SUPPORT_TICKET)),
        last_activity=Max("occurred_at"),
    )
