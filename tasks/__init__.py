"""The task registry. Importing this package registers the built-in tasks."""

from bench.registry import Registry
from tasks.base import SFTExample, Task

TASKS: Registry[type[Task]] = Registry("task", entry_point_group="pobench.tasks")
register = TASKS.register

from tasks import arithmetic, concise, sentiment  # noqa: E402,F401  (each registers itself)

__all__ = ["TASKS", "Task", "SFTExample", "register"]
