"""The process orchestrator: the embedded default backend of the orchestrator contract.

Each service process runs as a child of environmentd, in its own session and run directory
``{run_directory}/{namespace}-{id}/{index}/`` (output in ``log``), listening on free loopback
ports assigned here. See ``docs/orchestrator.md``.

Guarantees: ``ensure_service`` is idempotent and restarts a process only when its fingerprint
(image, evaluated args, ports, limits, labels, environment) changed, never for annotations;
crashed processes are restarted with exponential back-off; a process is reported online only
once it is alive and all its ports accept connections; a new orchestrator over the same run
directory re-adopts live processes (pid *and* start time must match, so recycled pids are not
adopted) keeping their ports; ``drop_service`` kills (SIGTERM, then SIGKILL) and removes the
directories; ``detach()`` stops supervision without killing anything.
Does not guarantee: enforcement of cpu/memory/disk limits, availability zones or
anti-affinity (recorded only); that an assigned port is still free when the process binds it
(ports are picked by binding port 0, then released); OOM detection (a SIGKILL is reported as
``killed by signal 9``); exit codes of adopted processes that are not our children.
"""

from pymz.orchestrator_process.config import ProcessOrchestratorConfig
from pymz.orchestrator_process.orchestrator import (
    NamespacedProcessOrchestrator,
    ProcessOrchestrator,
    ProcessService,
)

__all__ = [
    "NamespacedProcessOrchestrator",
    "ProcessOrchestrator",
    "ProcessOrchestratorConfig",
    "ProcessService",
]
