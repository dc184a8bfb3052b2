"""A local Label Studio server: start, stop, credentials and an SDK client.

The server runs from its own venv (``.venv-ls``: Label Studio pins pytz<2023, which the main
venv cannot use), listens on 127.0.0.1 only, and keeps its SQLite database, media, credentials
and log under one data folder (default ``.communique/label-studio``, git-ignored). Credentials
are made up on first start and stored in that folder (mode 0600), or come from the environment
(``COMMUNIQUE_LS_URL`` and ``COMMUNIQUE_LS_TOKEN`` point at any running server); never from the
repository.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path(".communique/label-studio")
DEFAULT_PORT = 18080
HOST = "127.0.0.1"
CREDENTIALS_FILE = "credentials.json"
SERVER_FILE = "server.json"
LOG_FILE = "server.log"
DB_FILE = "label_studio.sqlite3"
BIN_ENV = "COMMUNIQUE_LABEL_STUDIO_BIN"
URL_ENV, TOKEN_ENV, DATA_ENV = "COMMUNIQUE_LS_URL", "COMMUNIQUE_LS_TOKEN", "COMMUNIQUE_LS_DATA"


class ServerError(Exception):
    """The server could not be found, started, reached or stopped; the message says why."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """The admin account made on first start; ``username`` must be an e-mail for Label Studio."""

    username: str
    password: str
    token: str


@dataclass(frozen=True, slots=True)
class Running:
    """A started server: process id (also its process group), port and URL."""

    pid: int
    port: int
    url: str


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: the argument, else ``$COMMUNIQUE_LS_DATA``, else the default."""
    return Path(path or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR)


def label_studio_bin() -> Path:
    """The ``label-studio`` executable of the server venv."""
    if os.environ.get(BIN_ENV):
        found = Path(os.environ[BIN_ENV])
        if not found.is_file():
            raise ServerError(f"${BIN_ENV} is {found}, which is not a file")
        return found
    here = Path(__file__).resolve().parent.parent
    for root in (Path.cwd(), here):
        candidate = root / ".venv-ls" / "bin" / "label-studio"
        if candidate.is_file():
            return candidate
    raise ServerError("no Label Studio server found: run `make .venv-ls/.installed` (creates "
                      f".venv-ls with label-studio) or set ${BIN_ENV}")


def credentials(folder: Path) -> Credentials:
    """The folder's credentials, made (random password and token) and stored on first use."""
    path = folder / CREDENTIALS_FILE
    if path.exists():
        return Credentials(**json.loads(path.read_text(encoding="utf-8")))
    private_folder(folder)
    creds = Credentials("admin@communique.local", secrets.token_urlsafe(16), secrets.token_hex(20))
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(creds), fh)
    os.replace(tmp, path)
    return creds


def _env(folder: Path, creds: Credentials) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(folder.resolve()),
        "LATEST_VERSION_CHECK": "false",  # else it asks the package index at import
        "LABEL_STUDIO_USERNAME": creds.username,
        "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "COLLECT_ANALYTICS": "false",
        # No error reports to the vendor's Sentry (its default DSN): no network but loopback.
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        # The bulk prediction import of 1.23 that creates predictions in batches (the other path
        # re-reads every task of the project for each request).
        "fflag_fix_back_4620_memory_efficient_predictions_import_08012025_short": "true",
    })
    return env


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:port (connections in TIME_WAIT do not count, as
    the server itself binds with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(folder: Path) -> Running | None:
    """The server started from this folder, if it still answers."""
    path = folder / SERVER_FILE
    if not path.exists():
        return None
    info = Running(**json.loads(path.read_text(encoding="utf-8")))
    if _alive(info.pid) and healthy(info.url):
        return info
    return None


def init_command() -> list[str]:
    """`label-studio init`: the user, password and token come from the environment (`_env`),
    never the command line, which every local user can read in the process list."""
    return [str(label_studio_bin()), "init", "--enable-legacy-api-token"]


def private_folder(folder: Path) -> None:
    """Create ``folder`` readable by its owner only (the database in it holds the API token).
    An existing folder is made private only when it is one of ours (it has our credentials
    file): a folder someone points --data at keeps its permissions."""
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    elif (folder / CREDENTIALS_FILE).exists():
        os.chmod(folder, 0o700)


def init_data_dir(folder: Path, log: Any = None) -> Credentials:
    """Create the database, admin user and legacy API token if the folder has none (≈40 s)."""
    creds = credentials(folder)
    if (folder / DB_FILE).exists():
        return creds
    cmd = init_command()
    done = subprocess.run(cmd, env=_env(folder, creds), cwd=folder, stdout=log or subprocess.DEVNULL,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode or not (folder / DB_FILE).exists():
        raise ServerError(f"`label-studio init` failed (exit {done.returncode}); see "
                          f"{folder / LOG_FILE}")
    return creds


def start(folder: Path, port: int = DEFAULT_PORT, timeout: float = 240.0) -> Running:
    """Start the server for this folder on 127.0.0.1:port (or return the one already running)."""
    private_folder(folder)
    already = running(folder)
    if already:
        return already
    if not port_free(port):
        # Label Studio would silently move to another port; say so instead.
        raise ServerError(f"port {port} on {HOST} is in use; choose another with --port")
    with open(folder / LOG_FILE, "ab") as log:
        creds = init_data_dir(folder, log)
        cmd = [str(label_studio_bin()), "start", "--no-browser", "--internal-host", HOST,
               "--port", str(port)]
        proc = subprocess.Popen(cmd, env=_env(folder, creds), cwd=folder, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    info = Running(proc.pid, port, f"http://{HOST}:{port}")
    deadline = time.monotonic() + timeout
    while not healthy(info.url, timeout=1.0):
        if proc.poll() is not None:
            raise ServerError(f"Label Studio exited with {proc.returncode}; see "
                              f"{folder / LOG_FILE}")
        if time.monotonic() > deadline:
            _kill_group(proc.pid)
            raise ServerError(f"Label Studio did not answer on {info.url} within {timeout:.0f} s; "
                              f"see {folder / LOG_FILE}")
        time.sleep(0.3)
    (folder / SERVER_FILE).write_text(json.dumps(asdict(info)), encoding="utf-8")
    return info


def _kill_group(pid: int, grace: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _alive(pid):
                return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(folder: Path) -> bool:
    """Stop the server started from this folder; False if none was running."""
    path = folder / SERVER_FILE
    if not path.exists():
        return False
    info = Running(**json.loads(path.read_text(encoding="utf-8")))
    was = _alive(info.pid)
    if was:
        _kill_group(info.pid)
    path.unlink(missing_ok=True)
    return was


def copy_data_dir(template: Path, dest: Path) -> None:
    """Copy an initialised data folder (database, credentials), without run-time files."""
    shutil.copytree(template, dest, ignore=shutil.ignore_patterns(SERVER_FILE, LOG_FILE),
                    dirs_exist_ok=True)


def connection(folder: Path | None = None) -> tuple[str, str]:
    """URL and API token: from the environment, else from the folder's running server."""
    if os.environ.get(URL_ENV) and os.environ.get(TOKEN_ENV):
        return os.environ[URL_ENV].rstrip("/"), os.environ[TOKEN_ENV]
    folder = data_dir(folder)
    info = running(folder)
    if info is None:
        raise ServerError(f"no Label Studio running for {folder}: start one with "
                          f"`communique ls serve` (or set ${URL_ENV} and ${TOKEN_ENV})")
    return info.url, credentials(folder).token


def client(url: str, token: str) -> Any:
    """An SDK 2.x ``LabelStudio`` client (a legacy token is sent as ``Token …``)."""
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url, api_key=token, timeout=300)


def print_welcome(info: Running, creds: Credentials, folder: Path) -> None:
    print(f"Label Studio is running at {info.url} (pid {info.pid}, data in {folder})")
    print(f"  log in as {creds.username} with password {creds.password}")
    print(f"  API token in {folder / CREDENTIALS_FILE}; stop with `communique ls stop`",
          file=sys.stdout)
