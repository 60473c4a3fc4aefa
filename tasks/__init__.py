"""The task registry. Importing this package registers the built-in tasks."""

from bench.registry import Registry
from tasks.base import SFTExample, Task

TASKS: Registry[type[Task]] = Registry("task", entry_point_group="pobench.tasks")
register = TASKS.register

from tasks import arithmetic, concise, sentiment  # noqa: E402,F401  (each registers itself)


def make_task(name: str) -> Task:
    """A task by registered name, or ``file:PATH[@module:function]`` for a preference file (validated now)."""
    from tasks.file_task import PREFIX, FileTask

    if name.startswith(PREFIX):
        return FileTask(name[len(PREFIX) :])
    return TASKS.get(name)()


__all__ = ["TASKS", "Task", "SFTExample", "make_task", "register"]
