"""The compute runtime inside clusterd: state installed by the compute controller.

Guarantees: everything it knows it was told over computectl; commands of a new controller
connection are buffered until InitializationComplete and then reconciled against what is
installed (compatible dataflows are kept, the rest dropped, new ones created); Peeks are
always answered, never left hanging: snapshot-query peeks (:mod:`.peek`) read persist
snapshots at the peek timestamp and run the SQL with :mod:`pymz.sqlexec` (process 0 of a
replica computes, the others answer empty), failures answer a PeekError with the SQLSTATE,
CancelPeek interrupts the work; other peeks answer "not yet supported". Imports only
protocol types from the controller side.
Does not guarantee (yet): building or running dataflows — they are recorded, their write
frontier is reported as their ``as_of`` and never advances; peeks are not incremental (each
one reads whole snapshots, though unchanged batches and rows are cached) and not
distributed over processes.
"""
