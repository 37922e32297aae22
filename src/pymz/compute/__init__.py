"""The compute runtime inside clusterd: state installed by the compute controller.

Guarantees: everything it knows it was told over computectl; commands of a new controller
connection are buffered until InitializationComplete and then reconciled against what is
installed (compatible dataflows are kept, the rest dropped, new ones created); Peeks are
always answered, never left hanging: snapshot-query peeks (:mod:`.peek`) read persist
snapshots at the peek timestamp and run the SQL with :mod:`pymz.sqlexec` (process 0 of a
replica computes, the others answer empty), failures answer a PeekError with the SQLSTATE,
CancelPeek interrupts the work. Dataflows (:mod:`.dataflows`, process 0 of a replica)
read persist sources (snapshot at ``as_of``, then listen), run the rendered plans
incrementally, report each export's write frontier as it advances, answer index peeks at a
timestamp once complete there, stream subscribe batches, and append materialized views to
their shards with ``compare_and_append`` (:mod:`.sinks`: racing replicas never write a
range twice; a sink holds while the dataflow has an error at the times it would write).
Imports only protocol types from the controller side.
Does not guarantee (yet): exchange between processes (process 0 computes everything),
index imports, key lookups for index peeks, ``until``; snapshot-query peeks are not
incremental (each reads whole snapshots, though unchanged batches and rows are cached).
"""
