import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def _codenames(group: str) -> set[str]:
    return set(
        Group.objects.get(name=group)
        .permissions.filter(content_type__app_label="campaigns")
        .values_list("codename", flat=True)
    )


def test_role_groups_have_their_campaign_permissions():
    models = ("campaign", "emaildraft", "draftevent")
    assert _codenames("Admin") == {
        f"{a}_{m}" for a in ("add", "change", "delete", "view") for m in models
    }
    assert _codenames("Marketer") == {
        f"{a}_{m}" for a in ("add", "change", "view") for m in ("campaign", "emaildraft")
    } | {"view_draftevent"}
    assert _codenames("Manager") == {f"view_{m}" for m in models}
