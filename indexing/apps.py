from django.apps import AppConfig


class IndexingConfig(AppConfig):
    name = "indexing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .subscriptions import connect_signals

        connect_signals()  # what indexing reacts to: indexing/subscriptions.py
