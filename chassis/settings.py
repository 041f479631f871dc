"""Settings, read one way everywhere: nameko's config first (what a test or
``chassis.run`` patched in), then the environment (12-factor), then the
default. Every name read here is listed in README's configuration table
(a test keeps them in step).

A service keeps its settings in a frozen dataclass built by one function
from ``setting`` and hands it to its workers with ``SettingsProvider``::

    def load(get):
        return Settings(return_window_days=int(get("RETURN_WINDOW_DAYS", 30)))

    class Service(ServiceBase):
        settings = SettingsProvider(load)
"""
from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from .config import env

T = TypeVar("T")
Getter = Callable[[str, Any], Any]


def setting(name: str, default: Any = None) -> Any:
    """``name`` from nameko's config, else the environment, else ``default``
    (an empty value counts as unset)."""
    value = nameko_config.get(name)
    if value is None or value == "":
        return env(name, default)
    return value


def flag(value: Any) -> bool:
    """``"1"``, ``"true"``, ``"yes"``, ``"on"`` (any case) and True are true."""
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class SettingsProvider(DependencyProvider, Generic[T]):  # type: ignore[misc]
    """A service's settings, loaded once per container at setup by
    ``load(setting)``; every worker gets the same frozen object."""

    def __init__(self, load: Callable[[Getter], T]) -> None:
        self.load = load
        self.settings: T | None = None

    def setup(self) -> None:
        self.settings = self.load(setting)

    def get_dependency(self, worker_ctx: Any) -> T | None:
        return self.settings
