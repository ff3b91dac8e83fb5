"""The stage registry: versioned names, what each stage requires and assigns.

Built-in stages register exactly as third-party ones would, with :func:`stage`.  A snapshot test
of :func:`registered` keeps a renamed stage from slipping through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ceasefire.errors import ConfigError
from ceasefire.pipeline.records import Document

__all__ = ["StageContext", "StageSpec", "get_stage", "registered", "stage"]


@dataclass
class StageContext:
    """What a stage may use besides its documents: resources opened lazily, and its arguments."""

    resources: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)

    def resource(self, name: str, factory: Callable[[], Any]) -> Any:
        if name not in self.resources:
            self.resources[name] = factory()
        return self.resources[name]


StageFunc = Callable[[list[Document], StageContext], list[Document]]


@dataclass(frozen=True)
class StageSpec:
    name: str  # "ceasefire.clean.v1"
    func: StageFunc
    requires: tuple[str, ...]
    assigns: tuple[str, ...]
    doc: str


_REGISTRY: dict[str, StageSpec] = {}


def stage(
    name: str, requires: tuple[str, ...] = (), assigns: tuple[str, ...] = ()
) -> Callable[[StageFunc], StageFunc]:
    def register(func: StageFunc) -> StageFunc:
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ConfigError(f"Stage {name!r} is registered twice.")
        _REGISTRY[name] = StageSpec(name, func, requires, assigns, (func.__doc__ or "").strip())
        return func

    return register


def _load_builtins() -> None:
    from ceasefire.pipeline import stages  # noqa: F401 - registers the built-in stages


def get_stage(name: str) -> StageSpec:
    _load_builtins()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"No pipeline stage named {name!r}. Registered stages: {known}.")
    return _REGISTRY[name]


def registered() -> dict[str, dict[str, list[str]]]:
    _load_builtins()
    return {
        name: {"requires": list(spec.requires), "assigns": list(spec.assigns)}
        for name, spec in sorted(_REGISTRY.items())
    }
