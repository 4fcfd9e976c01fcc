"""Throwaway PostgreSQL servers for tests.

``temporary_postgres()`` runs ``initdb`` into a fresh temporary directory,
starts the server on a free TCP port on 127.0.0.1 with durability switched off
(fast, and fine for data that is thrown away), creates the database
``returnbridge_test`` and yields a SQLAlchemy URL for it.  On exit the server
is stopped with ``pg_ctl stop -m immediate`` and the directory is removed.

``initdb`` refuses to run as root, so when the tests run as root (as in CI)
the cluster is owned by the ``postgres`` system user and the server binaries
are run through ``runuser -u postgres --`` (or ``su postgres``).

This module deliberately has no pytest dependency.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = [
    "DEFAULT_DBNAME",
    "SUPERUSER",
    "PgBinaries",
    "create_database",
    "drop_database",
    "find_pg_binaries",
    "temporary_postgres",
]

DEFAULT_DBNAME = "returnbridge_test"
SUPERUSER = "postgres"
OS_USER = "postgres"  # system user that owns the cluster when we run as root

_NOT_FOUND = "PostgreSQL server binaries not found; apt-get install postgresql"
_DBNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_START_TIMEOUT_S = 60
_PORT_ATTEMPTS = 5
_LOG_TAIL_LINES = 40


# --------------------------------------------------------------------------- #
# Locating binaries and running them as the right user
# --------------------------------------------------------------------------- #


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin -> numeric sort key ("9.6" < "15")
    version = os.path.basename(os.path.dirname(bindir))
    return tuple(int(part) for part in re.findall(r"\d+", version))


@dataclass(frozen=True)
class PgBinaries:
    initdb: str
    pg_ctl: str


def find_pg_binaries() -> PgBinaries:
    """Locate ``initdb`` and ``pg_ctl``.

    PATH wins; otherwise the newest ``/usr/lib/postgresql/*/bin``.
    """
    initdb = shutil.which("initdb")
    pg_ctl = shutil.which("pg_ctl")
    if initdb and pg_ctl:
        # Prefer a pg_ctl from the same installation as initdb (PATH entries
        # are often symlinks into /usr/lib/postgresql/<version>/bin).
        for directory in (os.path.dirname(os.path.realpath(initdb)), os.path.dirname(initdb)):
            sibling = os.path.join(directory, "pg_ctl")
            if os.access(sibling, os.X_OK):
                return PgBinaries(os.path.join(directory, "initdb"), sibling)
        return PgBinaries(initdb, pg_ctl)
    candidates = [
        d
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if os.access(os.path.join(d, "initdb"), os.X_OK)
        and os.access(os.path.join(d, "pg_ctl"), os.X_OK)
    ]
    if not candidates:
        raise RuntimeError(_NOT_FOUND)
    newest = max(candidates, key=_version_key)
    return PgBinaries(os.path.join(newest, "initdb"), os.path.join(newest, "pg_ctl"))


def _find_tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    # /usr/sbin and /sbin are often missing from PATH in non-login shells.
    for directory in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return None


@dataclass(frozen=True)
class _Runner:
    """Runs server binaries as the current user, or as ``postgres`` if root."""

    as_os_user: bool
    uid: int
    gid: int

    @classmethod
    def for_current_process(cls) -> _Runner:
        if os.geteuid() != 0:
            return cls(as_os_user=False, uid=os.geteuid(), gid=os.getegid())
        try:
            entry = pwd.getpwnam(OS_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root, but there is no {OS_USER!r} system user to "
                "own the test cluster (initdb refuses to run as root); "
                "apt-get install postgresql creates it"
            ) from None
        return cls(as_os_user=True, uid=entry.pw_uid, gid=entry.pw_gid)

    def command(self, argv: Sequence[str]) -> list[str]:
        if not self.as_os_user:
            return list(argv)
        runuser = _find_tool("runuser")
        if runuser:
            return [runuser, "-u", OS_USER, "--", *argv]
        su = _find_tool("su")
        if su:
            return [su, OS_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]
        raise RuntimeError(
            f"running as root but neither runuser nor su is available to "
            f"run PostgreSQL as {OS_USER!r}"
        )

    def run(self, argv: Sequence[str], cwd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(argv),
            cwd=cwd,  # a directory the postgres user can enter
            env=_server_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )

    def give(self, path: str) -> None:
        if self.as_os_user:
            os.chown(path, self.uid, self.gid)


def _server_env() -> dict[str, str]:
    # Keep the caller's PG* settings (PGDATA, PGPORT, PGOPTIONS, ...) away from
    # the throwaway server, and use a locale that always exists.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


# --------------------------------------------------------------------------- #
# Temporary directory layout
# --------------------------------------------------------------------------- #


def _traversable_by_others(path: str) -> bool:
    path = os.path.realpath(path)
    while True:
        try:
            if not os.stat(path).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def _make_tempdir(runner: _Runner) -> str:
    base: str | None = None
    if runner.as_os_user and not _traversable_by_others(tempfile.gettempdir()):
        base = "/tmp"  # e.g. TMPDIR under /root, which postgres cannot enter
    tmp = tempfile.mkdtemp(prefix="rb-pg-", dir=base)
    os.chmod(tmp, 0o755)  # the postgres user must be able to traverse it
    return tmp


@dataclass(frozen=True)
class _Layout:
    root: str
    data: str
    sockets: str
    log: str

    @classmethod
    def create(cls, root: str, runner: _Runner) -> _Layout:
        layout = cls(
            root=root,
            data=os.path.join(root, "data"),
            sockets=os.path.join(root, "sock"),
            log=os.path.join(root, "postgres.log"),
        )
        os.mkdir(layout.data, 0o700)
        os.mkdir(layout.sockets, 0o700)
        with open(layout.log, "w", encoding="utf-8"):
            pass
        for path in (layout.data, layout.sockets, layout.log):
            runner.give(path)
        return layout

    def log_size(self) -> int:
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def log_tail(self, since: int = 0) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as fh:
                fh.seek(since)
                lines = fh.read().splitlines()
        except OSError as exc:
            return f"(could not read {self.log}: {exc})"
        return "\n".join(lines[-_LOG_TAIL_LINES:]) or "(server log is empty)"


# --------------------------------------------------------------------------- #
# Server lifecycle
# --------------------------------------------------------------------------- #


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _initdb(bins: PgBinaries, layout: _Layout, runner: _Runner) -> None:
    argv = [
        bins.initdb,
        "-D",
        layout.data,
        "-A",
        "trust",
        "-U",
        SUPERUSER,
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",
    ]
    result = runner.run(argv, cwd=layout.root)
    if result.returncode != 0:
        raise RuntimeError(
            f"initdb failed (exit {result.returncode}): {shlex.join(argv)}\n{result.stdout.strip()}"
        )


def _start(bins: PgBinaries, layout: _Layout, runner: _Runner) -> int:
    """Start the server on a free port and return that port."""
    failures: list[str] = []
    for _ in range(_PORT_ATTEMPTS):
        port = _free_port()
        options = " ".join(
            [
                "-F",
                f"-p {port}",
                "-h 127.0.0.1",
                f"-k {shlex.quote(layout.sockets)}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=100",
            ]
        )
        argv = [
            bins.pg_ctl,
            "start",
            "-w",
            "-t",
            str(_START_TIMEOUT_S),
            "-D",
            layout.data,
            "-l",
            layout.log,
            "-o",
            options,
        ]
        log_offset = layout.log_size()
        result = runner.run(argv, cwd=layout.root)
        if result.returncode == 0:
            return port
        tail = layout.log_tail(since=log_offset)
        failures.append(
            f"pg_ctl start failed (exit {result.returncode}) on port {port}:\n"
            f"{result.stdout.strip()}\n--- tail of {layout.log} ---\n{tail}"
        )
        # Someone grabbed the port between _free_port() and the bind: retry.
        # Anything else is a real error.
        if "Address already in use" not in tail:
            break
        _stop(bins, layout, runner)
    raise RuntimeError("could not start PostgreSQL\n" + "\n\n".join(failures))


def _postmaster_pid(layout: _Layout) -> int | None:
    try:
        with open(os.path.join(layout.data, "postmaster.pid"), encoding="utf-8") as fh:
            return int(fh.readline().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(bins: PgBinaries, layout: _Layout, runner: _Runner) -> None:
    """Stop the server if it is (or may be) running.  Never raises."""
    pid = _postmaster_pid(layout)
    if pid is None:
        return
    argv = [
        bins.pg_ctl,
        "stop",
        "-m",
        "immediate",
        "-w",
        "-t",
        "30",
        "-D",
        layout.data,
    ]
    with contextlib.suppress(OSError):
        runner.run(argv, cwd=layout.root)
    # Belt and braces: if pg_ctl could not stop it, kill the postmaster we
    # started ourselves (by its pid from postmaster.pid, nothing broader).
    for sig, wait_s in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        if not _alive(pid):
            return
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


@contextlib.contextmanager
def temporary_postgres(dbname: str = DEFAULT_DBNAME) -> Iterator[str]:
    """Run a throwaway PostgreSQL server for the duration of the block.

    Yields ``postgresql+psycopg://postgres@127.0.0.1:PORT/<dbname>``.  The
    role ``postgres`` is a superuser with trust authentication, so the URL can
    also be passed as ``admin_url`` to :func:`create_database`.
    """
    bins = find_pg_binaries()
    runner = _Runner.for_current_process()
    root = _make_tempdir(runner)
    layout: _Layout | None = None
    try:
        layout = _Layout.create(root, runner)
        _initdb(bins, layout, runner)
        port = _start(bins, layout, runner)
        admin_url = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        try:
            url = create_database(admin_url, dbname)
        except psycopg.Error as exc:
            raise RuntimeError(
                f"PostgreSQL started on port {port} but creating database "
                f"{dbname!r} failed: {exc}\n--- tail of {layout.log} ---\n"
                f"{layout.log_tail()}"
            ) from exc
        yield url
    finally:
        if layout is not None:
            _stop(bins, layout, runner)
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Databases on a running server
# --------------------------------------------------------------------------- #


def _check_dbname(name: str) -> None:
    if not _DBNAME_RE.match(name):
        raise ValueError(
            f"invalid test database name {name!r}: use letters, digits and "
            "underscores, not starting with a digit, at most 63 characters"
        )


def _connect_admin(admin_url: str) -> psycopg.Connection[Any]:
    url = make_url(admin_url)
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or SUPERUSER,
        "password": url.password,  # None is dropped by psycopg
        "dbname": "postgres",  # maintenance database, never the target
        "connect_timeout": 10,
    }
    return psycopg.connect(autocommit=True, **params)


def _url_for(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str) -> str:
    """Create a fresh database ``name`` on the server of ``admin_url``.

    ``admin_url`` is any SQLAlchemy URL for a superuser on that server (e.g.
    the one yielded by :func:`temporary_postgres`).  Returns the URL of the
    new database.  Raises ``psycopg.errors.DuplicateDatabase`` if it exists.
    """
    _check_dbname(name)
    with _connect_admin(admin_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return _url_for(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` (if it exists), disconnecting its sessions."""
    _check_dbname(name)
    with _connect_admin(admin_url) as conn:
        query = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
        if conn.info.server_version >= 130000:
            query = sql.SQL("{} WITH (FORCE)").format(query)
        conn.execute(query)
