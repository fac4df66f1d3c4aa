"""The customer list's own formatting filters write what Django's filters would."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from customers.models import Customer
from customers.templatetags.customer_list import day_month_year, detail_url, money


def django_text(source: str, value) -> str:
    return Template(source).render(Context({"value": value}))


@pytest.mark.parametrize(
    "day",
    [dt.date(2025, 1, 1), dt.date(2024, 2, 29), dt.date(1999, 12, 31), dt.date(2026, 5, 9)],
)
def test_day_month_year_matches_the_date_filter(day):
    assert day_month_year(day) == django_text('{{ value|date:"j M Y" }}', day)


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("5"),
        Decimal("29.85"),
        Decimal("1234.5"),
        Decimal("1234567.891"),
        Decimal("-12.345"),
        Decimal("0.005"),
        118.75,
    ],
)
def test_money_matches_floatformat_2g(amount):
    assert money(amount) == django_text('{{ value|floatformat:"2g" }}', amount)


def test_missing_values_are_empty():
    assert day_month_year(None) == "" and money(None) == ""


@pytest.mark.parametrize("pk", [1, 42, 100_000, 2**31 - 1])
def test_detail_url_matches_reverse(pk):
    assert detail_url(Customer(pk=pk)) == reverse("customers:detail", args=[pk])
