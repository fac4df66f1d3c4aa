import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from scoring.models import ChurnModel
from scoring.runtime import active_model_forget
from scoring.services import churn_model_train
from scoring.tests.data import make_customers

# The customers fixture is deterministic, and so is training on it: the first test that
# needs a trained model trains it, later ones get a copy of that version (row + artifact).
_TRAINED: dict = {}
_COPIED_FIELDS = [
    "as_of",
    "feature_spec",
    "params",
    "metrics",
    "training_rows",
    "training_positives",
    "artifact_sha256",
    "promotion_note",
]


@pytest.fixture(autouse=True)
def fast_training(settings):
    """Small searches keep the suite fast; the procedure is the same as in production."""
    settings.CHURN_SEARCH_MAX_CONFIGS = 1
    settings.CHURN_CV_FOLDS = 3
    settings.CHURN_SEARCH_SECONDS = 10.0
    settings.CHURN_NTHREAD = 1
    active_model_forget()
    yield
    active_model_forget()


@pytest.fixture
def customers(db):
    return make_customers(240, seed=11, unknown_share=0.1, signal=2.0)


@pytest.fixture
def trained_model(customers):
    if not _TRAINED:
        model = churn_model_train()
        with model.artifact.open("rb") as handle:
            _TRAINED["artifact"] = handle.read()
        _TRAINED["fields"] = {name: getattr(model, name) for name in _COPIED_FIELDS}
        return model
    name = default_storage.save(
        "churn_models/churn-model-v1-test.zip", ContentFile(_TRAINED["artifact"])
    )
    return ChurnModel.objects.create(
        version=1,
        status=ChurnModel.Status.ACTIVE,
        promoted_at=_TRAINED["fields"]["as_of"],
        artifact=name,
        **_TRAINED["fields"],
    )
