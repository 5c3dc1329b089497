"""A CeleryExecutor deployment on one machine: Postgres, Redis, Airflow's components, two Celery workers.

``make celery-demo`` (``scripts/celery_demo.py``) drives it; so can any script that needs the real
processes, e.g. to kill one and restart it (``make chaos``, ``scripts/chaos.py``). Start here:
``celery_stack.stack.CeleryStack``. ``processes`` (named process groups, Ctrl-C handling) and ``emulator``
also serve ``make demo`` and ``make airflow``. This package's ``__init__`` imports nothing: Celery workers
import ``celery_stack.hostname`` without the rest.
"""
