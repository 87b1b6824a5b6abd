"""Environment variables for callables, without changing the process's for everyone.

Handlers given as callables run in the emulator's own process, where a Lambda
function's variables (``TABLE_NAME``, ``AWS_ENDPOINT_URL_DYNAMODB``, ...) cannot simply
be written to ``os.environ``: the test or program around the emulator would see them
too, and two callables would share one set. Instead ``os.environ`` (the same object:
``from os import environ`` sees it too) learns to look first at the variables of the
callable running in the current context (a `contextvars.ContextVar`, which each
invocation sets on its own thread or task). Outside an invocation it is the process's
environment, unchanged.

What a callable sets with ``os.environ[...] = ...`` goes to the process, as before.
Child processes a callable starts inherit the process's environment, not its own
variables (pass ``env=`` to subprocess). The patch is a subclass of ``os._Environ``,
checked before it is installed; ``EMULATOR_SHARED_ENVIRON=1`` turns it off, and
callables then get their variables in ``os.environ`` for the whole process while the
emulator runs (the old behaviour).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

SHARED_ENVIRON = "EMULATOR_SHARED_ENVIRON"
"""Set to ``1`` to give callables their variables in the process's own environment."""

_variables: ContextVar[Mapping[str, str] | None] = ContextVar(
    "emulator_function_environment", default=None
)

_Environ: Any = getattr(os, "_Environ", None)


class _ScopedEnviron(_Environ):  # type: ignore[misc]
    """``os.environ``, seen through the running callable's variables (if any)."""

    def __getitem__(self, key: str) -> str:
        variables = _variables.get()
        if variables is not None and key in variables:
            return variables[key]
        value: str = super().__getitem__(key)
        return value

    def __iter__(self) -> Iterator[str]:
        variables = _variables.get()
        if variables is None:
            yield from super().__iter__()
            return
        yield from variables
        yield from (key for key in super().__iter__() if key not in variables)

    def __len__(self) -> int:
        variables = _variables.get()
        if variables is None:
            return int(super().__len__())
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return dict(self)


def install() -> bool:
    """Make ``os.environ`` honour callables' variables; False (nothing changed) if it is
    not the ``os._Environ`` this was written for, or ``EMULATOR_SHARED_ENVIRON=1``."""
    if os.environ.get(SHARED_ENVIRON, "") not in ("", "0"):
        return False
    if type(os.environ) is _ScopedEnviron:
        return True
    if _Environ is None or type(os.environ) is not _Environ:
        return False
    os.environ.__class__ = _ScopedEnviron
    return True


def installed() -> bool:
    return type(os.environ) is _ScopedEnviron


@contextlib.contextmanager
def variables(values: Mapping[str, str]) -> Iterator[None]:
    """Within this context (thread or task), ``os.environ`` shows `values` first."""
    token = _variables.set(dict(values))
    try:
        yield
    finally:
        _variables.reset(token)
