"""Let the Admin role manage API tokens in the Django admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(
        *Permission.objects.filter(content_type__app_label="growthai", codename__endswith="apitoken")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Admin"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="growthai"))


class Migration(migrations.Migration):
    dependencies = [
        ("growthai", "0001_initial"),
        ("customers", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
