"""storagectl: the storage protocol types and the storage controller's connection layer.

Guarantees: :mod:`.protocol` is the only thing the storage runtime (clusterd) shares with the
controller; :class:`.controller.StorageController` keeps one compacted command history per
storage instance (cluster), replays it to every process of every replica on (re)connect,
reconnects with capped exponential back-off until the replica is dropped, and records the
uppers, statuses and statistics the replicas report.
Does not guarantee: running sources or sinks (the storage runtime comes later), or fencing of
a second environmentd.
"""
