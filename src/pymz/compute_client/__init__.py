"""computectl: the compute protocol types and the compute controller's connection layer.

Guarantees: :mod:`.protocol` and :mod:`.peek_plan` are all the compute runtime (clusterd)
shares with the controller; :class:`.controller.ComputeController` keeps one compacted
command history per instance (cluster), replays it to every process of every replica on
(re)connect, reconnects with capped exponential back-off until the replica is dropped,
tracks frontiers per replica and resolves a peek with the first replica's answer (all
processes of a replica must answer; their rows are concatenated). :mod:`.peek_plan` defines
the snapshot-query plan and its result encoding; ``ComputeController.peek_snapshot`` runs
one and returns decoded rows or raises the replica's SQLSTATE. :mod:`.dataflow` defines the
typed :class:`DataflowDescription` (lossless encode/decode to ``CreateDataflow``); the
controller installs it (``create_dataflow``), waits for export frontiers
(``wait_for_frontier``), peeks indexes (``peek_index``, first replica wins) and merges the
subscribe batches of every replica into one contiguous, time-ordered stream (``subscribe``).
Does not guarantee: dataflow semantics (the replicas compute them), or fencing of a second
environmentd (a newer controller simply takes over the stream).
"""
