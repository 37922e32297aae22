"""clusterd: the process that hosts a replica's storage and compute runtimes.

Guarantees: serves storagectl and computectl (gRPC bidi streams) with a versioned handshake
(a bad Hello aborts that stream with FAILED_PRECONDITION; the server keeps serving), one
controller per endpoint at a time (a newer stream aborts the older with ABORTED and triggers
reconciliation), gRPC keepalives, ``/api/livez``, ``/metrics`` and ``/api/introspection`` on
the optional internal HTTP address, and a clean exit on SIGTERM/SIGINT. It is stateless:
everything it knows it was told over the control streams.
Does not guarantee (yet): a timely mesh between processes — ``--timely-*`` flags are
accepted and logged, but processes do not exchange data.
"""
