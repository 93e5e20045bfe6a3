"""Integration tests: a real `build/plinth server` per module (port 0, its own data dir).

Run with: /usr/bin/python3 -m pytest -q tests/integration   (PLINTH_BIN overrides the binary)
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
for p in (HERE.parent / "harness", HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import pytest  # noqa: E402

from plinth_server import PlinthServer  # noqa: E402
import support  # noqa: E402


def started(data_dir, extra_args=()):
    return PlinthServer(data_dir, extra_args=extra_args).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server shared by a module's tests (they use fresh names, so they do not interfere)."""
    srv = started(tmp_path_factory.mktemp("plinth") / "data")
    yield srv
    support.stop_checked(srv)


@pytest.fixture(scope="module")
def roles(server):
    """A token per role on the module's server: roles['viewer'].secret etc."""
    return {role: support.make_token(server, role)
            for role in ("viewer", "scientist", "approver", "admin")}


@pytest.fixture
def fresh_server(tmp_path):
    """A server of its own, for tests that stop, kill or tamper with it."""
    srv = PlinthServer(tmp_path / "data")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def cli_audit_verify():
    if not support.cli_audit_verify_available():
        pytest.skip("`plinth audit verify --help` fails: the audit verify CLI is not built yet")
