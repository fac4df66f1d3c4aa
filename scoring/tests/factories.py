import factory
from django.utils import timezone

from scoring.models import ChurnModel


class ChurnModelFactory(factory.django.DjangoModelFactory):
    """A model version row without a usable artifact: enough for scores to point at."""

    class Meta:
        model = ChurnModel

    version = factory.Sequence(lambda n: n + 1)
    status = ChurnModel.Status.ACTIVE
    promoted_at = factory.LazyFunction(timezone.now)
    as_of = factory.LazyFunction(timezone.now)
    artifact = "churn_models/none.zip"
    artifact_sha256 = "0" * 64
