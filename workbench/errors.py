"""Exceptions raised for user mistakes: each prints as one clear message."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ConfigError", "ValidationError", "WorkbenchError"]


class WorkbenchError(Exception):
    """Base class for errors caused by input or configuration, not by a bug.

    The command line prints these as ``error: <message>`` and exits with 2,
    without a traceback.
    """


class ValidationError(WorkbenchError):
    """One or more problems found while validating input.

    Parameters
    ----------
    problems
        Every problem found, each a complete sentence naming the file, column,
        example rows and values, and what was expected.
    context
        Optional heading, e.g. the file or table being validated.
    """

    def __init__(self, problems: Iterable[str] | str, context: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.context = context
        head = f"{context}: " if context else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems found:\n{lines}"
        super().__init__(message)

    def __reduce__(self):
        """Pickle with the problems and context (the error crosses process boundaries)."""
        return (type(self), (self.problems, self.context))


class ConfigError(ValidationError):
    """The configuration file has a bad key or value."""
