"""Helpers shared by the client tests (a unique module name: pytest runs these tests together
with tests/integration, whose modules share one import namespace with these)."""

import uuid


def unique(prefix):
    """A fresh valid name, so tests sharing one server never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
