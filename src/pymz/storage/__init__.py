"""The storage runtime inside clusterd: ingestions and sinks installed by the storage
controller.

Guarantees: everything it knows it was told over storagectl; commands of a new controller
connection are buffered until InitializationComplete and reconciled against what is
installed (identical ingestions/sinks are kept, the rest dropped with a DroppedId, new ones
started); a dropped object is always answered with DroppedId. Imports only protocol types.
Does not guarantee (yet): actually ingesting or sinking data — objects are recorded and
reported as ``starting``.
"""
