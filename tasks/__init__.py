"""The task registry. Importing this package registers the built-in tasks."""

from bench.registry import Registry, RegistryError
from tasks.base import SFTExample, Task

TASKS: Registry[type[Task]] = Registry("task", entry_point_group="pobench.tasks")
register = TASKS.register

from tasks import arithmetic, concise, exact, hh_rlhf, imdb, sentiment, tldr, ultrafeedback  # noqa: E402,F401  (each registers itself)


def make_task(name: str, chat_tokenizer=None) -> Task:
    """A task by registered name, ``NAME:PATH`` for a dataset task's local copy, or ``file:PATH`` for a
    preference file (validated now); ``@...`` adds a gold reward. ``chat_tokenizer``: the model's tokenizer
    when it has a chat template, which conversational tasks and datasets render their prompts with."""
    from tasks.file_task import PREFIX, FileTask

    if name.startswith(PREFIX):
        return FileTask(name[len(PREFIX) :])
    named, at, gold = name.partition("@")
    base, colon, path = named.partition(":")
    cls = TASKS.get(base)
    if colon or at:
        if not getattr(cls, "needs_loading", False):
            raise RegistryError(f"task {base!r} is built in: it takes no :PATH or @gold (got {name!r})")
        return cls(path + (at + gold if at else ""), chat_tokenizer=chat_tokenizer)
    if getattr(cls, "needs_loading", False):
        return cls(chat_tokenizer=chat_tokenizer)
    if cls.conversational and chat_tokenizer is not None:
        from tasks.chat import ChatPrompts

        return ChatPrompts(cls(), chat_tokenizer)
    return cls()


__all__ = ["TASKS", "Task", "SFTExample", "make_task", "register"]
