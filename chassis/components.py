"""Where each component's code and migrations live."""
from __future__ import annotations

import importlib
import os
from typing import Any

from .config import ALL_COMPONENTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def package(component: str) -> str:
    if component not in ALL_COMPONENTS:
        raise SystemExit(f"unknown component {component!r}; one of {', '.join(ALL_COMPONENTS)}")
    return "gateway" if component == "gateway" else f"services.{component}"


def service_class(component: str) -> type[Any]:
    cls: type[Any] = importlib.import_module(package(component) + ".service").Service
    return cls


def migrations_dir(component: str) -> str:
    return os.path.join(ROOT, *package(component).split("."), "migrations")
