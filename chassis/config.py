"""Configuration from the environment, with local defaults (12-factor)."""
from __future__ import annotations

import os
from typing import Any, TypeVar, overload

T = TypeVar("T")

SERVICES = ("inventory", "crm", "workorders", "payments", "notifications", "reporting")
ALL_COMPONENTS = SERVICES + ("gateway",)


@overload
def env(name: str) -> str | None: ...
@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: T) -> str | T: ...


def env(name: str, default: Any = None) -> Any:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_int(name: str, default: int | str) -> int:
    return int(env(name, default))


def env_float(name: str, default: float | str) -> float:
    return float(env(name, default))


def amqp_uri() -> str:
    return env("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")



def database_url(component: str) -> str:
    """Each component owns one database reached by its own role
    (docs/ARCHITECTURE.md#rule-1)."""
    return env(
        f"{component.upper()}_DATABASE_URL",
        f"postgresql+psycopg://{component}:{component}@127.0.0.1:5432/{component}",
    )


def retry_delays() -> list[float]:
    """Back-off before each re-delivery of a failed event, in seconds."""
    raw = env("EVENT_RETRY_DELAYS", "1,5,30")
    return [float(x) for x in raw.split(",") if x.strip()]


def nameko_config(component: str) -> dict[str, Any]:
    """The nameko config dict a component runs with."""
    return {
        "AMQP_URI": amqp_uri(),
        "serializer": "json",
        "max_workers": env_int("MAX_WORKERS", 20),
        "PREFETCH_COUNT": env_int("PREFETCH_COUNT", 20),
        "HEARTBEAT": env_int("AMQP_HEARTBEAT", 30),
        "WEB_SERVER_ADDRESS": "{}:{}".format(
            env("GATEWAY_HOST", "127.0.0.1"), env("GATEWAY_PORT", "8000")
        ),
        "DATABASE_URL": database_url(component),
        "DB_POOL_SIZE": env_int("DB_POOL_SIZE", 8),
        "DB_MAX_OVERFLOW": env_int("DB_MAX_OVERFLOW", 4),
        "RPC_TIMEOUT": env_float("RPC_TIMEOUT", 4.0),
        "EVENT_RETRY_DELAYS": retry_delays(),
        "EVENT_RETRY_MAX_DELAY": env_float("EVENT_RETRY_MAX_DELAY", 600),
        "EVENT_RETRY_HOURS": env_float("EVENT_RETRY_HOURS", 24),
        "OUTBOX_POLL_INTERVAL": env_float("OUTBOX_POLL_INTERVAL", 1.0),
        "OUTBOX_RETENTION_HOURS": env_float("OUTBOX_RETENTION_HOURS", 168),
        "INBOX_RETENTION_DAYS": env_float("INBOX_RETENTION_DAYS", 30),
    }
