from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "studyai.events"
    label = "events"
    verbose_name = "Event system"
    default_auto_field = "django.db.models.BigAutoField"
