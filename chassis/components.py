"""Where each component's code and migrations live."""
import importlib
import os

from .config import ALL_COMPONENTS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def package(component):
    if component not in ALL_COMPONENTS:
        raise SystemExit(f"unknown component {component!r}; one of {', '.join(ALL_COMPONENTS)}")
    return "gateway" if component == "gateway" else f"services.{component}"


def service_class(component):
    return importlib.import_module(package(component) + ".service").Service


def migrations_dir(component):
    return os.path.join(ROOT, *package(component).split("."), "migrations")
