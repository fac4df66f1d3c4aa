import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from customers.models import ContentItem, Customer, Interaction, Product, Segment


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    description = "Customers grouped for tests"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Faker("name")
    email = factory.LazyAttribute(lambda o: f"{o.external_id.lower()}@example.com")
    segment = factory.SubFactory(SegmentFactory, name="Consumer")
    country = "United Kingdom"
    plan = "Monthly"
    signup_date = dt.date(2024, 1, 15)
    tenure_months = 12
    monthly_spend = Decimal("49.90")
    attributes = factory.LazyFunction(dict)
    churned = False


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A sturdy everyday product."
    category = "Home & Kitchen"
    price = Decimal("19.99")


class ContentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContentItem

    slug = factory.Sequence(lambda n: f"content-{n}")
    title = factory.Sequence(lambda n: f"How to get more from your plan, part {n}")
    summary = "Practical tips for everyday use."
    kind = ContentItem.Kind.ARTICLE
    tags = factory.LazyFunction(lambda: ["tips"])


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    kind = Interaction.Kind.PURCHASE
    quantity = 1
    value = Decimal("19.99")
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if extracted:
            obj.groups.add(Group.objects.get(name=str(extracted)))
            if str(extracted) == "Admin":
                obj.is_staff = True
        obj.save()
