"""environmentd: the control process. A thin entry point that wires the catalog, adapter,
pgwire and HTTP front ends, the controllers and the orchestrator together.

Guarantees: serves SQL only once the catalog is open and replicas are reconciled
(``/api/readyz`` turns 200 then); on SIGTERM/SIGINT it stops listening and exits, leaving
replica processes running so the next environmentd re-adopts them. Does not guarantee:
that replica processes stop when environmentd exits (drop the cluster for that).
"""
