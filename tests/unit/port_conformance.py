"""Checks that a hand-written fake keeps up with the port it stands in for:
every method there, async where the port is async, with the same parameters.
Shared by the conformance tests of each ports module."""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any, Protocol


def protocols_in(module: ModuleType) -> set[type[Any]]:
    """The Protocol classes a ports module defines (not ones it imports)."""
    return {
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and Protocol in value.__mro__[1:]
    }


def port_methods(port: type[Any]) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(port).items()
        if inspect.isfunction(member)
        and (not name.startswith("_") or name in ("__aenter__", "__aexit__"))
    }


def assert_fake_matches(port: type[Any], fake: type[Any]) -> None:
    for name, method in port_methods(port).items():
        assert hasattr(fake, name), f"{fake.__name__} lacks {name}"
        implemented = getattr(fake, name)
        assert inspect.iscoroutinefunction(implemented) == (
            inspect.iscoroutinefunction(method)
        ), f"{fake.__name__}.{name} differs in async-ness"
        wanted = list(inspect.signature(method).parameters)
        got = list(inspect.signature(implemented).parameters)
        assert got == wanted, f"{fake.__name__}.{name} takes {got}, not {wanted}"
