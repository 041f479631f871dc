"""Who is calling: the gateway authenticates and passes the caller in nameko
context data (docs/ARCHITECTURE.md#rule-7); every service reads it back the same way."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

from nameko.extensions import DependencyProvider

from .errors import Forbidden

HQ_ADMIN = "hq_admin"
STORE_MANAGER = "store_manager"
SALES_ASSOCIATE = "sales_associate"
BENCH_JEWELER = "bench_jeweler"
AUDITOR = "auditor"
SYSTEM = "system"     # the services themselves (sweepers, event handlers, rebuilds)

ROLES = (HQ_ADMIN, STORE_MANAGER, SALES_ASSOCIATE, BENCH_JEWELER, AUDITOR)
CHAIN_WIDE_ROLES = (HQ_ADMIN, AUDITOR)

# Who may do what, named once (docs/API.md#conventions). Routes name these;
# a service's own checks add ``SYSTEM`` (``with_system``).
ANY_STAFF = None                                             # any signed-in role
STAFF = (HQ_ADMIN, STORE_MANAGER, SALES_ASSOCIATE, BENCH_JEWELER)   # everyone but the auditor
SELLERS = (HQ_ADMIN, STORE_MANAGER, SALES_ASSOCIATE)         # the counter
MANAGERS = (HQ_ADMIN, STORE_MANAGER)
BENCH_LEADS = (HQ_ADMIN, STORE_MANAGER, BENCH_JEWELER)       # assign jobs, sign appraisals
READERS = SELLERS + (AUDITOR,)
OVERSIGHT = MANAGERS + (AUDITOR,)                            # reports
HQ = (HQ_ADMIN, AUDITOR)


def with_system(roles: Iterable[str]) -> tuple[str, ...]:
    """``roles`` and the services' own ``system`` identity."""
    return tuple(roles) + (SYSTEM,)


@dataclass(frozen=True)
class Identity:
    user_id: str | None
    role: str
    store_ids: tuple[str, ...] = field(default_factory=tuple)
    username: str | None = None
    store_id: str | None = None  # the store the request acts from, if any

    @classmethod
    def system(cls) -> Identity:
        return cls(user_id=None, role=SYSTEM, username=SYSTEM)

    @classmethod
    def of_event(cls, event: Mapping[str, Any]) -> Identity:
        """Changes an event makes are the system's, on behalf of its actor."""
        return cls(user_id=event.get("actor_id"), role=SYSTEM,
                   username=f"{event.get('producer')}:{event.get('event_type')}")

    @classmethod
    def from_context(cls, data: Mapping[str, Any] | None) -> Identity:
        if not data or not data.get("role"):
            return cls.system()
        raw = data.get("store_ids") or ""
        store_ids = tuple(s for s in raw.split(",") if s)
        return cls(
            user_id=data.get("user_id"),
            role=data["role"],
            store_ids=store_ids,
            username=data.get("username"),
            store_id=data.get("store_id"),
        )

    def to_context(self) -> dict[str, str]:
        data = {"role": self.role, "store_ids": ",".join(self.store_ids)}
        for key in ("user_id", "username", "store_id"):
            value = getattr(self, key)
            if value:
                data[key] = str(value)
        return data

    @property
    def chain_wide(self) -> bool:
        return self.role in CHAIN_WIDE_ROLES or self.role == SYSTEM

    def can_see_store(self, store_id: object) -> bool:
        return self.chain_wide or str(store_id) in self.store_ids

    @property
    def read_only(self) -> bool:
        return self.role == AUDITOR

    def require(self, roles: Collection[str], what: str = "do this") -> None:
        """Refuse (403) a read-only caller, or one whose role is not in ``roles``."""
        if self.read_only:
            raise Forbidden("read-only role")
        if self.role not in roles:
            raise Forbidden(f"a {self.role} may not {what}")


class Caller(DependencyProvider):  # type: ignore[misc]
    """Injects the calling ``Identity`` into a worker."""

    def get_dependency(self, worker_ctx: Any) -> Identity:
        return Identity.from_context(worker_ctx.data)
