import pytest
from django.urls import reverse

from customers.models import Interaction, Product
from customers.tests.factories import CustomerFactory, ProductFactory, SegmentFactory
from recommendations import runtime, services
from recommendations.services import (
    Recommendation,
    RecommendationError,
    UnknownCustomer,
    UnknownItem,
    recommend_for_customer,
    recommend_similar_items,
)

from .conftest import days_ago, interact


@pytest.fixture(autouse=True)
def check_every_call(settings):
    settings.RECOMMENDATIONS_VERSION_CHECK_SECONDS = 0


def by_name(items):
    return {item.name: item for item in items}


def test_a_runner_gets_running_gear_with_reasons(built):
    runner = built["runners"][2]  # bought shoes and vest, read the trail article
    recs = recommend_for_customer(customer_id=runner.pk, kind="product", n=5)
    assert all(isinstance(item, Recommendation) for item in recs)
    found = by_name(recs)
    assert "Trail running shoes" not in found and "Running hydration vest" not in found
    assert recs[0].name in {"Running headlamp", "Trail running socks"}
    headlamp = found["Running headlamp"]
    assert headlamp.kind == "product" and headlamp.item_id == built["headlamp"].pk
    assert headlamp.reason_code == "behaviour"
    assert headlamp.reason.startswith("Because you bought ")
    assert headlamp.get_absolute_url() == reverse(
        "customers:product_detail", args=[built["headlamp"].pk]
    )
    assert [item.score for item in recs] == sorted((item.score for item in recs), reverse=True)


def test_a_new_product_is_recommended_through_its_meaning(built):
    runner = built["runners"][3]
    socks = by_name(recommend_for_customer(customer_id=runner.pk, n=5))["Trail running socks"]
    assert not Interaction.objects.filter(product=built["new_socks"]).exists()
    assert socks.reason_code == "semantic"
    assert socks.reason.startswith("Similar to ")


def test_content_through_the_same_engine(built):
    runner = built["runners"][0]
    recs = recommend_for_customer(customer_id=runner.pk, kind="content", n=3)
    assert recs[0].name == "Training for your first marathon"
    assert recs[0].reason == "Like the articles you read on trail running"
    assert "A beginner's guide to trail running" not in by_name(recs)  # already read
    assert recs[0].get_absolute_url().startswith("/customers/content/")


def test_cold_start_gets_segment_favourites(built):
    newcomer = CustomerFactory(segment=built["consumer"])
    recs = recommend_for_customer(customer_id=newcomer.pk, n=3)
    assert {item.name for item in recs[:2]} == {"Trail running shoes", "Running hydration vest"}
    assert recs[0].reason == "Popular in your segment (Consumer)"
    assert recs[0].reason_code == "popular_segment"
    cook = CustomerFactory(segment=built["business"])
    assert recommend_for_customer(customer_id=cook.pk, n=1)[0].name in {
        "Chef's kitchen knife",
        "Wooden chopping board",
    }


def test_cold_start_in_an_unknown_segment_uses_other_attributes(built):
    stranger = CustomerFactory(segment=SegmentFactory(name="Brand new"))
    recs = recommend_for_customer(customer_id=stranger.pk, n=3)
    assert recs and recs[0].reason_code == "popular_cohort"
    assert recs[0].reason == "Popular with customers in United Kingdom"


def test_inactive_and_already_bought_are_excluded(built, settings):
    runner = built["runners"][2]
    built["headlamp"].active = False
    built["headlamp"].save()
    assert "Running headlamp" not in by_name(recommend_for_customer(customer_id=runner.pk))
    settings.RECOMMENDATIONS_EXCLUDE_PURCHASED = False
    assert "Trail running shoes" in by_name(recommend_for_customer(customer_id=runner.pk))
    kept = recommend_for_customer(customer_id=runner.pk, exclude_purchased=True)
    assert "Trail running shoes" not in by_name(kept)


def test_diversity_cap_from_settings(built, settings):
    settings.RECOMMENDATIONS_MAX_PER_CATEGORY = 1
    runner = built["runners"][2]
    recs = recommend_for_customer(customer_id=runner.pk, n=2)
    categories = {Product.objects.get(pk=item.item_id).category for item in recs}
    assert categories == {"Running", "Kitchen"}


def test_as_of_ranks_on_the_history_before_it(built):
    runner = built["runners"][2]
    then = recommend_for_customer(customer_id=runner.pk, n=3, as_of=days_ago(30))
    assert then[0].reason_code == "popular_segment"  # nothing bought yet back then


def test_unknown_customer_and_kind(db):
    with pytest.raises(UnknownCustomer, match="No customer with id 999999"):
        recommend_for_customer(customer_id=999999)
    with pytest.raises(UnknownCustomer):
        recommend_for_customer(customer_id="not-a-number")
    with pytest.raises(RecommendationError, match="Unknown item kind"):
        recommend_for_customer(customer_id=1, kind="service")


def test_empty_catalogue_gives_an_empty_list_with_a_message(db):
    customer = CustomerFactory()
    recs = recommend_for_customer(customer_id=customer.pk)
    assert recs == [] and recs.message == "The catalogue has no products yet."
    content = recommend_for_customer(customer_id=customer.pk, kind="content")
    assert content.message == "The catalogue has no content items yet."


def test_not_built_yet_says_so(db):
    customer = CustomerFactory()
    interact(customer, ProductFactory())
    ProductFactory()
    recs = recommend_for_customer(customer_id=customer.pk)
    assert recs == [] and "build_recommendations" in recs.message


def test_the_cached_catalogue_follows_changes(built):
    first = runtime.catalogue_get()
    assert runtime.catalogue_get() is first
    fresh = ProductFactory(name="Trail running gaiters", category="Running")
    second = runtime.catalogue_get()
    assert second is not first and second.row_of("product", fresh.pk) is not None
    services.item_embeddings_refresh()
    third = runtime.catalogue_get()
    assert third is not second and third.embeddings[third.row_of("product", fresh.pk)].any()


def test_similar_items(built):
    similar = recommend_similar_items(kind="product", item_id=built["shoes"].pk, n=3)
    assert similar[0].name == "Running hydration vest"
    assert similar[0].reason == "Often chosen together with Trail running shoes"
    assert "Trail running shoes" not in by_name(similar)
    related = recommend_similar_items(
        kind="product", item_id=built["shoes"].pk, target_kind="content", n=2
    )
    assert related[0].kind == "content" and "running" in related[0].name.lower()
    socks = recommend_similar_items(kind="product", item_id=built["new_socks"].pk, n=2)
    assert socks[0].reason_code == "semantic"
    with pytest.raises(UnknownItem):
        recommend_similar_items(kind="product", item_id=999999)
    with pytest.raises(UnknownItem):
        recommend_similar_items(kind="product", item_id="shoes")
    with pytest.raises(UnknownItem):
        recommend_similar_items(kind="content", item_id=built["shoes"].pk + 999999)
