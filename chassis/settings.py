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

import logging
from typing import Any, Callable, Generic, TypeVar

from nameko import config as nameko_config
from nameko.extensions import DependencyProvider

from .config import env

T = TypeVar("T")
Getter = Callable[[str, Any], Any]
log = logging.getLogger(__name__)


class MissingSecret(RuntimeError):
    """A secret without which the process must not start: raised from a
    container's setup, it stops ``chassis.run`` with a non-zero exit."""


def setting(name: str, default: Any = None) -> Any:
    """``name`` from nameko's config, else the environment, else ``default``
    (an empty value counts as unset)."""
    value = nameko_config.get(name)
    if value is None or value == "":
        return env(name, default)
    return value


def required_secret(get: Getter, name: str, what: str) -> str:
    """``name``'s value (never a default written in the source); without one,
    a log line saying what to set, then ``MissingSecret``."""
    value = get(name, None)
    if value is None or str(value).strip() == "":
        message = (f"{name} is not set: refusing to start. Set {name} to {what}, "
                   "the same in every process that needs it (README: Secrets to set)")
        log.critical(message)
        raise MissingSecret(message)
    return str(value)


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
