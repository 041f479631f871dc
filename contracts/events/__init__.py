"""Event payload schemas, one module per producer."""
from . import gateway, inventory  # noqa: F401
