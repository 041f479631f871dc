"""Gateway settings: nameko config first (tests patch it), then the
environment, then a local default (12-factor), read the one way
(``chassis.settings.setting``)."""
import logging
from dataclasses import dataclass

from chassis.settings import setting

log = logging.getLogger(__name__)

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"


@dataclass(frozen=True)
class Settings:
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    token_ttl_s: int
    max_body_bytes: int
    health_timeout_s: float
    idempotency_ttl_h: float


def load(get=setting):
    """Read once per container, at setup (the config is global in a process)."""
    settings = Settings(
        jwt_secret=str(get("JWT_SECRET", DEV_JWT_SECRET)),
        jwt_issuer=str(get("JWT_ISSUER", "jewelry-chain-gateway")),
        jwt_audience=str(get("JWT_AUDIENCE", "jewelry-chain")),
        token_ttl_s=int(get("JWT_TTL_SECONDS", 8 * 3600)),
        max_body_bytes=int(get("MAX_BODY_BYTES", 1024 * 1024)),
        health_timeout_s=float(get("HEALTH_TIMEOUT", 1.5)),
        idempotency_ttl_h=float(get("IDEMPOTENCY_TTL_HOURS", 24)),
    )
    if settings.jwt_secret == DEV_JWT_SECRET:
        log.warning("JWT_SECRET is not set: using the built-in development secret; "
                    "set JWT_SECRET (32+ random bytes) anywhere but a laptop")
    elif len(settings.jwt_secret.encode()) < 32:
        log.warning("JWT_SECRET is shorter than 32 bytes; HS256 wants a longer secret")
    return settings
