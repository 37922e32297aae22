"""pymz: a Python implementation of the Materialize streaming SQL platform.

Subpackages mirror the component boundaries in DESIGN.md. Runtimes (``compute``,
``storage``, ``clusterd``) and controllers (``compute_client``, ``storage_client``,
``adapter``) meet only through protocol types; Kubernetes libraries are confined to
``orchestrator_kubernetes`` and ``cloud``. The layering is enforced by import-linter.
"""

__version__ = "0.1.0"
