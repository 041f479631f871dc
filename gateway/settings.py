"""Gateway settings, read the one way every service reads them
(``chassis.settings.setting``: nameko config first, tests patch it, then the
environment, then a local default; 12-factor): a frozen dataclass built by
one ``load(get)``.

``JWT_SECRET`` has no default anywhere: a gateway without one refuses to
start (``chassis.settings.MissingSecret``). ``make run`` and the test chains always pass one
(``make run`` from its generated ``.local-secrets.env``)."""
import logging
from dataclasses import dataclass, field

from chassis.settings import required_secret, setting

from . import client_address, cors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    access_ttl_s: int
    max_body_bytes: int
    health_timeout_s: float
    idempotency_ttl_h: float
    signin_max_failures: int = 5
    signin_max_failures_per_address: int = 100
    signin_window_s: int = 900
    signin_lockout_s: int = 60
    signin_max_lockout_s: int = 3600
    session_max_s: int = 12 * 3600
    photo_max_bytes: int = 15 * 1024 * 1024
    cors_origins: frozenset = field(default_factory=frozenset)
    trusted_proxies: tuple = ()


def load(get=setting):
    """Read once per container, at setup (the config is global in a process)."""
    settings = Settings(
        jwt_secret=required_secret(get, "JWT_SECRET", "the HS256 key that signs and verifies "
                                   "access tokens (32+ random bytes, e.g. `openssl rand -base64 48`)"),
        jwt_issuer=str(get("JWT_ISSUER", "jewelry-chain-gateway")),
        jwt_audience=str(get("JWT_AUDIENCE", "jewelry-chain")),
        access_ttl_s=max(1, int(get("ACCESS_TOKEN_TTL_SECONDS", None)
                                or get("JWT_TTL_SECONDS", 15 * 60))),  # the old name, read as a fallback
        max_body_bytes=int(get("MAX_BODY_BYTES", 1024 * 1024)),
        photo_max_bytes=max(1, int(get("PHOTO_MAX_BYTES", 15 * 1024 * 1024))),  # multipart uploads
        health_timeout_s=float(get("HEALTH_TIMEOUT", 1.5)),
        idempotency_ttl_h=float(get("IDEMPOTENCY_TTL_HOURS", 24)),
        signin_max_failures=max(1, int(get("SIGNIN_MAX_FAILURES", 5))),
        signin_max_failures_per_address=max(1, int(get("SIGNIN_MAX_FAILURES_PER_ADDRESS", 100))),
        signin_window_s=max(1, int(get("SIGNIN_WINDOW_SECONDS", 900))),
        signin_lockout_s=max(1, int(get("SIGNIN_LOCKOUT_SECONDS", 60))),
        signin_max_lockout_s=max(1, int(get("SIGNIN_MAX_LOCKOUT_SECONDS", 3600))),
        session_max_s=max(60, int(get("SESSION_MAX_SECONDS", 12 * 3600))),
        cors_origins=cors.origins(get("CORS_ORIGINS", "")),
        trusted_proxies=client_address.networks(get("TRUSTED_PROXIES", "")),
    )
    warn_about_the_secret(settings.jwt_secret)
    return settings


def warn_about_the_secret(secret):
    """A token signed with a short secret can be guessed."""
    if len(secret.encode()) < 32:
        log.warning("JWT_SECRET is shorter than 32 bytes; HS256 wants a longer secret")
