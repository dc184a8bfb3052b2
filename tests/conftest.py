"""Shared fixtures. Label Studio: one real server per test session, started from a template data
folder that is initialised once (database migrations take ≈40 s; a copy starts in ≈5 s).

The template lives in ``.communique/test-label-studio-template-<version>`` (git-ignored) so
that later sessions on the same checkout skip the migrations too.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LS_TEST_PORTS = range(18081, 18100)  # Label Studio tests and dev servers only


@dataclass(frozen=True)
class LabelStudioServer:
    """A running test server: URL, API token, data folder and admin user name."""

    url: str
    token: str
    data: Path
    username: str
    password: str

    def client(self):
        from communique.annotation.server import client

        return client(self.url, self.token)

    def env(self) -> dict[str, str]:
        """Environment for `communique ls …` subprocesses that should use this server."""
        return dict(os.environ, COMMUNIQUE_LS_URL=self.url, COMMUNIQUE_LS_TOKEN=self.token)


def _free_port() -> int:
    from communique.annotation.server import port_free

    for port in LS_TEST_PORTS:
        if port_free(port):
            return port
    pytest.fail(f"no free port in {LS_TEST_PORTS.start}-{LS_TEST_PORTS.stop - 1} for Label Studio")


@pytest.fixture(scope="session")
def ls_template() -> Path:
    """An initialised Label Studio data folder (admin user, legacy token), made once."""
    from communique.annotation.server import ServerError, init_data_dir, label_studio_bin

    try:
        binary = label_studio_bin()
    except ServerError as e:
        pytest.fail(str(e))
    version = binary.resolve().parent.parent.glob("lib/python*/site-packages/label_studio-*.dist-info")
    tag = next((p.name.removesuffix(".dist-info").split("-")[1] for p in version), "unknown")
    template = ROOT / ".communique" / f"test-label-studio-template-{tag}"
    if not (template / "label_studio.sqlite3").exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=template.parent))
        with open(building / "init.log", "wb") as log:
            init_data_dir(building, log)
        if template.exists():  # another session finished first
            shutil.rmtree(building)
        else:
            os.replace(building, template)
    return template


@pytest.fixture(scope="session")
def ls_server(ls_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """A real Label Studio on 127.0.0.1, for the whole test session."""
    from communique.annotation.server import copy_data_dir, credentials, start, stop

    data = tmp_path_factory.mktemp("label-studio")
    copy_data_dir(ls_template, data)
    info = start(data, _free_port())
    creds = credentials(data)
    try:
        yield LabelStudioServer(info.url, creds.token, data, creds.username, creds.password)
    finally:
        stop(data)


_project_numbers = itertools.count(1)


@pytest.fixture
def ls_project_title(request: pytest.FixtureRequest) -> str:
    """A project title of its own for each test."""
    return f"test {next(_project_numbers)} {request.node.name}"[:50]
