"""TLS to Redis (`rediss://` URLs): one set of settings (REDIS_TLS_*) turned into the options of
each client that connects: redis-py (the event transport, the cache), channels-redis (the
channel layer) and kombu (the Celery broker). A `redis://` URL gets none of them.

Imports no Django: settings.py builds its Redis configuration with it.
"""
from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Any


def is_tls(url: str) -> bool:
    return url.lower().startswith("rediss://")


@dataclass(frozen=True)
class RedisTLS:
    ca_file: str | None = None  # the CA that signed the server's certificate (else the system's)
    cert_file: str | None = None  # a client certificate, for a server with tls-auth-clients
    key_file: str | None = None
    check_hostname: bool = True

    @classmethod
    def from_env(cls) -> "RedisTLS":
        def path(name: str) -> str | None:
            return os.environ.get(name) or None

        return cls(
            ca_file=path("REDIS_TLS_CA_FILE"),
            cert_file=path("REDIS_TLS_CERT_FILE"),
            key_file=path("REDIS_TLS_KEY_FILE"),
            check_hostname=os.environ.get("REDIS_TLS_CHECK_HOSTNAME", "true").strip().lower() in {"1", "true", "yes", "on"},
        )

    def client_options(self, url: str) -> dict[str, Any]:
        """redis-py connection options (Redis.from_url / ConnectionPool.from_url) for `url`."""
        if not is_tls(url):
            return {}
        return {"ssl_cert_reqs": "required", "ssl_check_hostname": self.check_hostname, **self._files()}

    def layer_host(self, url: str) -> str | dict[str, Any]:
        """A channels-redis host: the URL, or with TLS a dict it hands to ConnectionPool.from_url."""
        options = self.client_options(url)
        return {"address": url, **options} if options else url

    def celery_options(self, url: str) -> dict[str, Any] | None:
        """Celery's broker_use_ssl for a broker at `url` (None without TLS)."""
        if not is_tls(url):
            return None
        return {"ssl_cert_reqs": ssl.CERT_REQUIRED, **self._files()}

    def _files(self) -> dict[str, str]:
        """The CA and client certificate options both redis-py and kombu name the same way."""
        files = {"ssl_ca_certs": self.ca_file, "ssl_certfile": self.cert_file, "ssl_keyfile": self.key_file}
        return {name: path for name, path in files.items() if path}


def client_options(url: str) -> dict[str, Any]:
    """The TLS options of the settings in force (Django's, else the environment's) for `url`."""
    return _tls().client_options(url)


def layer_host(url: str) -> str | dict[str, Any]:
    return _tls().layer_host(url)


def _tls() -> RedisTLS:
    from django.conf import settings

    tls = getattr(settings, "REDIS_TLS", None)
    return tls if isinstance(tls, RedisTLS) else RedisTLS.from_env()
