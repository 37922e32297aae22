"""Fixtures shared by every test directory.

``kube_cluster`` is registered here, once, so the whole session shares one throwaway
Kubernetes control plane. A test module must not import the fixture itself: pytest would
register a second session-scoped definition for that module and start a second cluster.
"""

from __future__ import annotations

from tests.kube_fixture import kube_cluster

__all__ = ["kube_cluster"]
