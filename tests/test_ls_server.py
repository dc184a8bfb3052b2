"""`communique ls serve` / `ls stop`: loopback only, credentials kept out of the repository,
fast second start, clear errors."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

from communique.annotation.server import (BIN_ENV, CREDENTIALS_FILE, copy_data_dir, healthy,
                                          port_free)

ROOT = Path(__file__).resolve().parent.parent


def _ls(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "communique", "ls", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=300)


def _port() -> int:
    return next(p for p in range(18099, 18080, -1) if port_free(p))


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if int(hexport, 16) == port and state == "0A":  # LISTEN
                found.add(addr)
    return found


def test_serve_stop_and_fast_second_start(ls_template, tmp_path):
    data = tmp_path / "ls"
    copy_data_dir(ls_template, data)
    port = _port()
    t = time.monotonic()
    first = _ls("serve", "--data", str(data), "--port", str(port))
    try:
        assert first.returncode == 0, first.stderr
        assert f"Label Studio is running at http://127.0.0.1:{port}" in first.stdout
        assert "log in as admin@communique.local with password" in first.stdout
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
        mode = stat.S_IMODE((data / CREDENTIALS_FILE).stat().st_mode)
        assert mode == 0o600
        # the database holds the token too: the folder is its owner's alone
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        again = _ls("serve", "--data", str(data), "--port", str(port))
        assert again.returncode == 0 and again.stdout.startswith("(already running)")
    finally:
        stopped = _ls("stop", "--data", str(data))
    assert stopped.stdout == "stopped Label Studio\n"
    assert not healthy(f"http://127.0.0.1:{port}")
    assert _ls("stop", "--data", str(data)).stdout == f"no Label Studio running for {data}\n"
    # A migrated data folder starts in seconds, not the ≈45 s of a first start.
    t = time.monotonic()
    second = _ls("serve", "--data", str(data), "--port", str(port))
    took = time.monotonic() - t
    _ls("stop", "--data", str(data))
    assert second.returncode == 0, second.stderr
    assert took < 30, f"second start took {took:.1f} s"


def test_init_puts_no_secret_on_the_command_line(tmp_path):
    from communique.annotation.server import credentials, init_command

    creds = credentials(tmp_path / "new")
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    command = " ".join(init_command())
    assert creds.password not in command and creds.token not in command
    assert "--password" not in command and "--user-token" not in command


def test_busy_port_is_an_error_not_a_silent_move(ls_template, tmp_path):
    data = tmp_path / "ls"
    copy_data_dir(ls_template, data)
    port = _port()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()
        done = _ls("serve", "--data", str(data), "--port", str(port))
    assert (done.returncode, done.stderr) == (
        1, f"ls serve: port {port} on 127.0.0.1 is in use; choose another with --port\n")


def test_missing_server_binary_is_explained(tmp_path):
    env = dict(os.environ, **{BIN_ENV: str(tmp_path / "nowhere" / "label-studio")})
    done = _ls("serve", "--data", str(tmp_path / "ls"), "--port", str(_port()), env=env)
    assert (done.returncode, done.stderr) == (
        1, f"ls serve: ${BIN_ENV} is {tmp_path / 'nowhere' / 'label-studio'}, which is not a "
           "file\n")


def test_push_without_a_server_says_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNIQUE_LS_")}
    done = _ls("push", "tests/fixtures/mini.json", "--data", str(tmp_path / "none"), env=env)
    assert done.returncode == 1
    assert done.stderr == (f"ls push: no Label Studio running for {tmp_path / 'none'}: start one "
                           "with `communique ls serve` (or set $COMMUNIQUE_LS_URL and "
                           "$COMMUNIQUE_LS_TOKEN)\n")


def test_no_credentials_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if tracked.returncode:  # not a git checkout (e.g. an sdist): nothing to check
        return
    names = tracked.stdout.splitlines()
    assert not [n for n in names if n.startswith(".communique/") or n.endswith(CREDENTIALS_FILE)]
