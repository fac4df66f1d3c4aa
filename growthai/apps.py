from django.apps import AppConfig


class GrowthaiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "growthai"
    verbose_name = "GrowthAI"
