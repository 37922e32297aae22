"""computectl: the compute protocol types and the compute controller's connection layer.

Guarantees: :mod:`.protocol` is the only thing the compute runtime (clusterd) shares with the
controller; :class:`.controller.ComputeController` keeps one compacted command history per
instance (cluster), replays it to every process of every replica on (re)connect, reconnects
with capped exponential back-off until the replica is dropped, tracks frontiers per replica
and resolves a peek with the first replica's answer.
Does not guarantee: anything about dataflow semantics (plans are opaque here), or fencing of a
second environmentd (a newer controller simply takes over the stream).
"""
