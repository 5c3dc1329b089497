"""Airflow's ``[core] hostname_callable`` for the stack: each Celery worker reports its own name.

Both workers run on one machine, so the default (the FQDN) would not tell them apart in task instances.
"""

from __future__ import annotations

import os
import socket

#: Environment variable holding the name a component reports as its hostname.
HOSTNAME_ENV = "FILED_STACK_HOSTNAME"


def hostname() -> str:
    """The component's name from the environment, else the machine's FQDN."""
    return os.environ.get(HOSTNAME_ENV) or socket.getfqdn()
