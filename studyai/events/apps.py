from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "studyai.events"
    label = "events"
    verbose_name = "Event system"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import crypto

        crypto.check_settings()  # a malformed EVENT_ENCRYPTION_KEYS stops every process at boot
