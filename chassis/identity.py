"""Who is calling: the gateway authenticates and passes the caller in nameko
context data (rule 7); every service reads it back the same way."""
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider

CHAIN_WIDE_ROLES = ("hq_admin", "auditor")
ROLES = ("hq_admin", "store_manager", "sales_associate", "bench_jeweler", "auditor")


@dataclass(frozen=True)
class Identity:
    user_id: str | None
    role: str
    store_ids: tuple = field(default_factory=tuple)
    username: str | None = None
    store_id: str | None = None  # the store the request acts from, if any

    @classmethod
    def system(cls):
        return cls(user_id=None, role="system", username="system")

    @classmethod
    def from_context(cls, data):
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

    def to_context(self):
        data = {"role": self.role, "store_ids": ",".join(self.store_ids)}
        for key in ("user_id", "username", "store_id"):
            value = getattr(self, key)
            if value:
                data[key] = str(value)
        return data

    @property
    def chain_wide(self):
        return self.role in CHAIN_WIDE_ROLES or self.role == "system"

    def can_see_store(self, store_id):
        return self.chain_wide or str(store_id) in self.store_ids

    @property
    def read_only(self):
        return self.role == "auditor"


class Caller(DependencyProvider):
    """Injects the calling ``Identity`` into a worker."""

    def get_dependency(self, worker_ctx):
        return Identity.from_context(worker_ctx.data)
