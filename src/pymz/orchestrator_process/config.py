"""Configuration of the process orchestrator."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pymz.errors import ConfigurationError


@dataclass(frozen=True)
class ProcessOrchestratorConfig:
    """How the process orchestrator runs services on this machine.

    ``image_commands`` maps an image name to the argv prefix that runs it; an image without an
    entry runs the console script of that name next to ``sys.executable`` (the venv), falling
    back to ``PATH``. Crashed processes restart after ``restart_backoff_initial`` seconds,
    doubling up to ``restart_backoff_max``; the delay resets once a process stayed up for
    ``restart_backoff_reset`` seconds.
    """

    run_directory: Path
    environment_id: str = "local"
    image_commands: Mapping[str, Sequence[str]] = field(default_factory=dict)
    restart_backoff_initial: float = 0.5
    restart_backoff_max: float = 30.0
    restart_backoff_reset: float = 30.0
    service_labels: Mapping[str, str] = field(default_factory=dict)
    listen_host: str = "127.0.0.1"
    # How long an orderly stop waits after SIGTERM before SIGKILL.
    termination_grace: float = 5.0
    # Interval between TCP probes of a starting process's ports.
    probe_interval: float = 0.05

    def command_for(self, image: str) -> list[str]:
        """The argv prefix that runs ``image``; raises ConfigurationError if none is found."""
        if image in self.image_commands:
            command = list(self.image_commands[image])
            if not command:
                raise ConfigurationError(f"empty command for image {image!r}")
            return command
        beside = Path(sys.executable).parent / image
        if beside.is_file():
            return [str(beside)]
        found = shutil.which(image)
        if found is not None:
            return [found]
        raise ConfigurationError(
            f"no command for image {image!r}",
            hint="configure image_commands or install the console script",
        )
