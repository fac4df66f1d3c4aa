"""Give the role groups their permissions on the churn-scoring models."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SCORING_MODELS = ["churnmodel", "trainingrun", "scoringrun", "churnscore"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions):
        codenames = [f"{action}_{model}" for action in actions for model in SCORING_MODELS]
        return Permission.objects.filter(content_type__app_label="scoring", codename__in=codenames)

    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*perms(["add", "change", "delete", "view"]))
    for name in ("Manager", "Marketer"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms(["view"]))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    scoring_perms = Permission.objects.filter(content_type__app_label="scoring")
    for group in Group.objects.filter(name__in=["Admin", "Manager", "Marketer"]):
        group.permissions.remove(*scoring_perms)


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0001_initial"),
        ("customers", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
