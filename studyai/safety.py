"""Refuse to serve with the development SECRET_KEY: daphne (studyai/asgi.py) and every Celery
worker (studyai/celery.py) call `refuse_insecure_start()` as they start. With DEBUG off and the
built-in key, anyone who reads this repository could forge sessions and password-reset links, so
the process stops with a message saying what to set, unless STUDYAI_LOCAL_RUN=1 says that this is
a run on this machine only (`make run` sets it when SECRET_KEY is unset)."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def refuse_insecure_start() -> None:
    if settings.DEBUG or settings.LOCAL_RUN or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        return
    raise ImproperlyConfigured(
        "SECRET_KEY is the built-in development key and DEBUG is off: set SECRET_KEY to a long random value "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or STUDYAI_LOCAL_RUN=1 for a run on this machine only."
    )
