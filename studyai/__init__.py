"""StudyAI project package: settings, routing, Celery app and the event system."""
from .celery import app as celery_app

__all__ = ("celery_app",)
