"""Fixtures: one real `plinth server` per test session (tests/harness/plinth_server.py), and
clients for it with the roles the tests need. Set PLINTH_BIN to test another binary."""

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))                                       # client_helpers
sys.path.insert(0, str(HERE.parent))                                # the plinth package
sys.path.insert(0, str(HERE.parents[2] / "tests" / "harness"))      # PlinthServer

import plinth  # noqa: E402
from client_helpers import unique  # noqa: E402
from plinth_server import PlinthServer  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv = PlinthServer(tmp_path_factory.mktemp("plinth-data"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def admin(server):
    with plinth.Client(server.url, server.admin_token) as client:
        yield client


def _client_with_role(server, admin, role):
    secret = admin.create_token(unique(role), role)["token"]
    return plinth.Client(server.url, secret)


@pytest.fixture(scope="session")
def scientist(server, admin):
    with _client_with_role(server, admin, "scientist") as client:
        yield client


@pytest.fixture(scope="session")
def approver(server, admin):
    with _client_with_role(server, admin, "approver") as client:
        yield client


@pytest.fixture(scope="session")
def approver2(server, admin):
    with _client_with_role(server, admin, "approver") as client:
        yield client


@pytest.fixture
def experiment(scientist):
    return scientist.create_experiment(unique("exp"))
