"""The task registry. On first lookup every module in this package is imported, and a task module registers
its task with ``@register("name")``: adding a file is all it takes to add a task."""

from pobench.contracts.task import SFTExample, Task
from pobench.core.registry import Registry, RegistryError
from pobench.tasks.chat import ChatPrompts
from pobench.tasks.file_task import PREFIX, FileTask

TASKS: Registry[type[Task]] = Registry("task", entry_point_group="pobench.tasks", package=__name__)
register = TASKS.register


def make_task(name: str, chat_tokenizer=None) -> Task:
    """A task by registered name, ``NAME:PATH`` for a dataset task's local copy, or ``file:PATH`` for a
    preference file (validated now); ``@...`` adds a gold reward. ``chat_tokenizer``: the model's tokenizer
    when it has a chat template, which conversational tasks and datasets render their prompts with."""
    if name.startswith(PREFIX):
        return FileTask(name[len(PREFIX) :])
    named, at, gold = name.partition("@")
    base, colon, path = named.partition(":")
    cls = TASKS.get(base)
    if colon or at:
        if not cls.needs_loading:
            raise RegistryError(f"task {base!r} is built in: it takes no :PATH or @gold (got {name!r})")
        return cls(path + (at + gold if at else ""), chat_tokenizer=chat_tokenizer)
    if cls.needs_loading:
        return cls(chat_tokenizer=chat_tokenizer)
    if cls.conversational and chat_tokenizer is not None:
        return ChatPrompts(cls(), chat_tokenizer)
    return cls()


__all__ = ["TASKS", "Task", "SFTExample", "make_task", "register"]
