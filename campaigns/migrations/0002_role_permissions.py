"""Give the role groups their permissions on campaigns and drafts.

Marketers add, change and view campaigns and drafts (and view the audit log); Managers view;
Admins get everything.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CAMPAIGN_MODELS = ["campaign", "emaildraft", "draftevent"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions, models):
        codenames = [f"{action}_{model}" for action in actions for model in models]
        return Permission.objects.filter(
            content_type__app_label="campaigns", codename__in=codenames
        )

    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*perms(["add", "change", "delete", "view"], CAMPAIGN_MODELS))
    marketer, _ = Group.objects.get_or_create(name="Marketer")
    marketer.permissions.add(*perms(["add", "change", "view"], ["campaign", "emaildraft"]))
    marketer.permissions.add(*perms(["view"], ["draftevent"]))
    manager, _ = Group.objects.get_or_create(name="Manager")
    manager.permissions.add(*perms(["view"], CAMPAIGN_MODELS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    campaign_perms = Permission.objects.filter(content_type__app_label="campaigns")
    for group in Group.objects.filter(name__in=["Admin", "Manager", "Marketer"]):
        group.permissions.remove(*campaign_perms)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("customers", "0002_role_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
