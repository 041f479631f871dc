"""Event payload schemas, one module per producer."""
from . import crm, gateway, inventory, notifications, payments, workorders  # noqa: F401
