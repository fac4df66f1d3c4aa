"""Give the role groups their permissions on the recommendation models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECOMMENDATION_MODELS = ["itemembedding", "catalogueversion", "behaviourmodel", "rebuildrun"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions):
        codenames = [f"{action}_{model}" for action in actions for model in RECOMMENDATION_MODELS]
        return Permission.objects.filter(
            content_type__app_label="recommendations", codename__in=codenames
        )

    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*perms(["add", "change", "delete", "view"]))
    for name in ("Manager", "Marketer"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms(["view"]))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="recommendations")
    for group in Group.objects.filter(name__in=["Admin", "Manager", "Marketer"]):
        group.permissions.remove(*ours)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0001_initial"),
        ("customers", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
