"""`make run`: start the whole system on this machine and stop it all on Ctrl-C.

Embedded Redis (when REDIS_URL is unset) → migrate → daphne, one Celery worker per queue, the
event services (notifications, indexing), the outbox relay and the watchdog. A child that dies is restarted.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from studyai import processes, redis_acl

VAR_DIR = Path(os.environ.get("STUDYAI_VAR_DIR", processes.BASE_DIR / "var"))
QUEUES = ("document_queue", "indexing_queue", "quiz_queue")
ACLFILE = VAR_DIR / "redis" / "users.acl"  # the embedded Redis's users, one per role


def start_least_privilege_redis(base_url: str) -> dict[str, str]:
    """Write the embedded Redis's aclfile (a user per role, the default user off) and return each
    role's URL. The passwords are made once and kept in var/ (mode 0600)."""

    users = redis_acl.EmbeddedUsers.load_or_create(VAR_DIR / redis_acl.EMBEDDED_USERS_FILE)
    major, _ = processes.redis_server_version(processes.redis_server_binary())
    lines = redis_acl.aclfile_lines(users.users, redis_acl.Namespace.from_settings(), selectors=major >= 7)
    redis_acl.write_private(ACLFILE, "\n".join(lines) + "\n")
    return users.urls(base_url)


def main() -> int:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("SECRET_KEY"):
        os.environ["STUDYAI_LOCAL_RUN"] = "1"  # the development key, on this machine only (studyai/safety.py)
    logs = VAR_DIR / "logs"
    logs.mkdir(exist_ok=True)
    url_file = VAR_DIR / "embedded-redis.url"
    redis_proc = None
    if not os.environ.get("REDIS_URL"):
        port = int(os.environ.get("EMBEDDED_REDIS_PORT") or processes.free_port())
        base_url = f"redis://127.0.0.1:{port}/0"
        role_urls = start_least_privilege_redis(base_url)
        redis_proc = processes.start_embedded_redis(
            port, VAR_DIR / "redis", aclfile=ACLFILE, ready_url=role_urls["monitor"]
        )
        # Each child gets its role's user (settings.REDIS_URLS); manage.py commands find them in var/.
        os.environ.update({f"REDIS_URL_{role.upper()}": url for role, url in role_urls.items()})
        url_file.write_text(base_url + "\n")
        print(f"embedded Redis on {base_url}, one user per role (passwords in {VAR_DIR / redis_acl.EMBEDDED_USERS_FILE}; data in {VAR_DIR / 'redis'})")

    subprocess.run(processes.manage("migrate", "--noinput"), check=True, cwd=processes.BASE_DIR)

    http_port = int(os.environ.get("PORT", "8000"))
    commands: dict[str, list[str]] = {
        "daphne": processes.daphne_command(http_port),
        **{f"worker-{q}": processes.worker_command([q], q.removesuffix("_queue")) for q in QUEUES},
        "notification-service": processes.manage("run_notification_service"),
        "indexing-service": processes.manage("run_indexing_service"),
        "quiz-service": processes.manage("run_quiz_service"),
        "outbox-relay": processes.manage("relay_outbox"),
        "watchdog": processes.manage("run_watchdog"),
    }
    # Said explicitly, though settings would guess the same from each command line.
    roles = {name: "web" if name == "daphne" else "worker" if name.startswith("worker-") else "events" for name in commands}

    def start(name: str) -> subprocess.Popen[bytes]:
        return processes.spawn(commands[name], env={"STUDYAI_REDIS_ROLE": roles[name]}, log_path=logs / f"{name}.log")

    children = {name: start(name) for name in commands}
    stopping = False

    def shutdown(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        processes.wait_for_port(http_port, children["daphne"])
        base = f"http://127.0.0.1:{http_port}"
        print(
            f"\nStudyAI is running (logs in {logs}):\n"
            f"  API          {base}/api/   (docs: {base}/api/docs/)\n"
            f"  admin        {base}/admin/ (create a user: .venv/bin/python manage.py createsuperuser)\n"
            f"  WebSocket    ws://127.0.0.1:{http_port}/ws/notifications/\n"
            f"  health       {base}/healthz\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None and not stopping:
                    print(f"{name} exited with {proc.returncode}; restarting it (see {logs / (name + '.log')})", flush=True)
                    children[name] = start(name)
            time.sleep(0.5)
    finally:
        print("stopping…", flush=True)
        for proc in children.values():
            processes.stop(proc)
        if redis_proc is not None:
            processes.stop(redis_proc)
            url_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
