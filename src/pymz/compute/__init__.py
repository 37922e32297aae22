"""The compute runtime inside clusterd: state installed by the compute controller.

Guarantees: everything it knows it was told over computectl; commands of a new controller
connection are buffered until InitializationComplete and then reconciled against what is
installed (compatible dataflows are kept, the rest dropped, new ones created); Peeks are
always answered (for now with an error, since the engine is not built yet), never left
hanging. Imports only protocol types.
Does not guarantee (yet): building or running dataflows — they are recorded, their write
frontier is reported as their ``as_of`` and never advances.
"""
