import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import (
    ContentItemFactory,
    CustomerFactory,
    InteractionFactory,
    ProductFactory,
    SegmentFactory,
)
from recommendations import embeddings, runtime


@pytest.fixture(scope="session")
def embedding_model():
    """The real all-MiniLM-L6-v2 model, loaded once for the whole test session."""
    return embeddings.embedding_model()


@pytest.fixture(autouse=True)
def fresh_catalogue():
    # Each test builds its own catalogue; a copy cached by an earlier test must not leak.
    runtime.catalogue_forget()
    yield
    runtime.catalogue_forget()


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def interact(customer, item, kind=Interaction.Kind.PURCHASE, *, days=3):
    """One interaction of ``customer`` with a product or content item ``days`` ago."""
    fields = {"customer": customer, "kind": kind, "occurred_at": days_ago(days)}
    if hasattr(item, "sku"):
        fields["product"] = item
    else:
        fields |= {"product": None, "content_item": item, "value": None}
    return InteractionFactory(**fields)


@pytest.fixture
def shop(db):
    """A small sports-and-kitchen catalogue with customers whose purchases tie the running
    items together; ``shop["new_socks"]`` has no interaction at all."""
    running = {
        "shoes": ProductFactory(
            name="Trail running shoes",
            category="Running",
            description="Lightweight running shoes with a grippy outsole for muddy trails.",
        ),
        "vest": ProductFactory(
            name="Running hydration vest",
            category="Running",
            description="A light vest with two soft flasks for long trail runs.",
        ),
        "headlamp": ProductFactory(
            name="Running headlamp",
            category="Running",
            description="Bright rechargeable headlamp for early morning runs.",
        ),
    }
    kitchen = {
        "knife": ProductFactory(
            name="Chef's kitchen knife",
            category="Kitchen",
            description="Forged steel chef knife for slicing vegetables and meat.",
        ),
        "board": ProductFactory(
            name="Wooden chopping board",
            category="Kitchen",
            description="Oak cutting board for the kitchen.",
        ),
        "pan": ProductFactory(
            name="Cast iron frying pan",
            category="Kitchen",
            description="A heavy pan for searing steaks and frying eggs.",
        ),
    }
    new_socks = ProductFactory(
        name="Trail running socks",
        category="Running",
        description="Cushioned socks for running on rocky trails.",
    )
    articles = {
        "trail": ContentItemFactory(
            title="A beginner's guide to trail running",
            summary="How to start running off-road: shoes, pacing and safety on trails.",
            tags=["trail running", "running"],
        ),
        "marathon": ContentItemFactory(
            title="Training for your first marathon",
            summary="A sixteen-week running plan with long runs and rest days.",
            tags=["running", "marathon"],
        ),
        "recipes": ContentItemFactory(
            title="Ten quick weeknight recipes",
            summary="Fast dinners with a pan and a sharp knife.",
            tags=["cooking"],
        ),
    }
    consumer = SegmentFactory(name="Consumer")
    business = SegmentFactory(name="Small Business")
    runners = [CustomerFactory(segment=consumer) for _ in range(4)]
    cooks = [CustomerFactory(segment=business) for _ in range(4)]
    for customer in runners:
        interact(customer, running["shoes"])
        interact(customer, running["vest"])
        interact(customer, articles["trail"], Interaction.Kind.VIEW)
    for customer in runners[:2]:
        interact(customer, running["headlamp"])
    for customer in cooks:
        interact(customer, kitchen["knife"])
        interact(customer, kitchen["board"])
        interact(customer, articles["recipes"], Interaction.Kind.VIEW)
    for customer in cooks[:3]:
        interact(customer, kitchen["pan"])
    return {
        **running,
        **kitchen,
        "new_socks": new_socks,
        **{f"article_{key}": item for key, item in articles.items()},
        "consumer": consumer,
        "business": business,
        "runners": runners,
        "cooks": cooks,
    }


@pytest.fixture
def built(shop, embedding_model):
    """The shop with its embeddings and behavioural model built."""
    from recommendations import services

    services.item_embeddings_refresh()
    services.behaviour_model_build()
    return shop
