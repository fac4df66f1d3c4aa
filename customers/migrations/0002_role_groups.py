"""Create the Marketer, Manager and Admin groups with their permissions.

Later apps add their own permissions to these groups in their own data migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CUSTOMER_MODELS = ["segment", "customer", "product", "contentitem", "interaction", "importjob"]


def create_role_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(actions, models):
        codenames = [f"{action}_{model}" for action in actions for model in models]
        return Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)

    admin, _ = Group.objects.get_or_create(name="Admin")
    admin.permissions.add(*perms(["add", "change", "delete", "view"], CUSTOMER_MODELS))
    admin.permissions.add(*Permission.objects.filter(content_type__app_label="axes"))
    for name in ("Manager", "Marketer"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms(["view"], CUSTOMER_MODELS[:-1]))


def delete_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Admin", "Manager", "Marketer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("axes", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, delete_role_groups)]
