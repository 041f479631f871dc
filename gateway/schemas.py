"""The gateway's own HTTP request and response schemas (marshmallow).

Routes that only relay to a service use that service's schemas from
``contracts.rpc``; these are for what the gateway owns.
"""
import zoneinfo
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from chassis.identity import CHAIN_WIDE_ROLES, ROLES
from contracts.types import Money

from . import passwords
from .iso import COUNTRIES, CURRENCIES

USERNAME = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._@-]*$",
                           error="letters, digits and . _ @ - only, starting with a letter or digit")
STORE_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]*$",   # compared upper-case (UpperCodes)
                             error="letters, digits, _ and - only")
PHONE = validate.Regexp(r"^\+?[0-9][0-9 ()./-]{3,38}$", error="not a phone number")
_TIMEZONES = None


def valid_timezone(name):
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = zoneinfo.available_timezones()
    if name not in _TIMEZONES:
        raise ValidationError("not an IANA time zone like Europe/London")


def valid_currency(code):
    if code not in CURRENCIES:
        raise ValidationError("not an ISO 4217 currency code like USD")


def valid_country(code):
    if code not in COUNTRIES:
        raise ValidationError("not an ISO 3166-1 alpha-2 country code like US")


class UpperCodes(Schema):
    """Codes are compared upper-case: ``nyc`` is the store ``NYC``."""

    @pre_load
    def upper(self, data, **kwargs):
        if isinstance(data, dict):
            data = dict(data)
            for key in ("code", "currency", "country"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].strip().upper()
        return data


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "a URN naming the kind of problem"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String(metadata={"description": "the request path"})
    request_id = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "validation messages, field by field"})


# auth ---------------------------------------------------------------------

class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    totp = fields.String(load_default=None, allow_none=True, load_only=True,
                         validate=validate.Length(min=1, max=16),
                         metadata={"description": "the one-time code, for a user with a second factor"})


class RefreshRequest(Schema):
    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenReply(Schema):
    access_token = fields.String()
    token_type = fields.String(metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(metadata={"description": "seconds the access token lasts"})
    refresh_token = fields.String(metadata={"description": "spend it once at POST /auth/refresh"})
    session_expires_at = fields.DateTime(metadata={"description": "the session's hard end"})
    limit = fields.String(allow_none=True, metadata={
        "enum": ["password", "totp", None],
        "description": "set: this session may only change its password or enrol a second factor"})


class UserCreate(Schema):
    username = fields.String(required=True, validate=[validate.Length(min=3, max=64), USERNAME])
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=1000))

    @validates_schema(skip_on_field_errors=False)
    def password_policy(self, data, **kwargs):
        if "password" in data:
            found = passwords.problems(data["password"], data.get("username"))
            if found:
                raise ValidationError(found, "password")

    @validates_schema
    def store_roles_need_a_store(self, data, **kwargs):
        if data.get("role") and data["role"] not in CHAIN_WIDE_ROLES and not data.get("store_ids"):
            raise ValidationError("a store role needs at least one store", "store_ids")


class User(Schema):
    id = fields.UUID()
    username = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    store_ids = fields.List(fields.UUID())
    active = fields.Boolean()
    created_at = fields.AwareDateTime()


class Me(Schema):
    id = fields.UUID()
    username = fields.String()
    role = fields.String(metadata={"enum": list(ROLES)})
    store_ids = fields.List(fields.UUID())


# stores -------------------------------------------------------------------

class StoreChange(UpperCodes):
    """What may change on a store; currency is fixed once stock is priced in it."""

    code = fields.String(validate=[validate.Length(min=2, max=20), STORE_CODE])
    name = fields.String(validate=validate.Length(min=1, max=200))
    timezone = fields.String(validate=valid_timezone)
    tax_rate_bps = fields.Integer(strict=True, validate=validate.Range(min=0, max=10000),
                                  metadata={"description": "sales tax in basis points: 887 = 8.87%"})
    country = fields.String(validate=valid_country)
    phone = fields.String(allow_none=True, validate=PHONE)
    address = fields.String(allow_none=True, validate=validate.Length(max=500))
    hours = fields.String(allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "opening hours as the receipt prints them, "
                                                   "e.g. \"Mon-Sat 10:00-19:00, Sun 12:00-17:00\""})

    @validates_schema
    def something(self, data, **kwargs):
        if not data:
            raise ValidationError("nothing to change", "_schema")


class StoreCreate(UpperCodes):
    code = fields.String(required=True, validate=[validate.Length(min=2, max=20), STORE_CODE])
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    currency = fields.String(required=True, validate=valid_currency)
    timezone = fields.String(required=True, validate=valid_timezone)
    tax_rate_bps = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000),
                                  metadata={"description": "sales tax in basis points: 887 = 8.87%"})
    country = fields.String(load_default="US", validate=valid_country)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    hours = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                          metadata={"description": "opening hours as the receipt prints them, "
                                                   "e.g. \"Mon-Sat 10:00-19:00, Sun 12:00-17:00\""})


class Store(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String()
    currency = fields.String()
    timezone = fields.String()
    tax_rate_bps = fields.Integer()
    country = fields.String()
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    hours = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


# lists ----------------------------------------------------------------------

class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500),
                           metadata={"description": "next_cursor of the previous page"})


# an answer's field it may leave out (gateway/openapi_shape.py: the rest are required)
OPTIONAL = {"optional": True}


def money(**kwargs):
    return fields.Nested(Money, **kwargs)


def page_of(schema_cls, name):
    """``{"items": [...], "next_cursor": ...}`` of ``schema_cls``."""
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(schema_cls)),
        "next_cursor": fields.String(allow_none=True),
    })


StorePage = page_of(Store, "StorePage")


class AuditQuery(PageQuery):
    entity_id = fields.String(validate=validate.Length(min=1, max=64))
    actor_id = fields.String(validate=validate.Length(min=1, max=64))
    store_id = fields.UUID()
    since = fields.AwareDateTime(default_timezone=timezone.utc)


class AuditEntry(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    request_id = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_username = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    store_id = fields.String(allow_none=True)
    method = fields.String()
    route = fields.String()
    path = fields.String()
    entity_id = fields.String(allow_none=True)
    status = fields.Integer(allow_none=True, metadata={"description": "HTTP status; null while running"})
    detail = fields.String(allow_none=True)


AuditPage = page_of(AuditEntry, "AuditPage")


# health -------------------------------------------------------------------

class Health(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    database = fields.String(metadata={"enum": ["up", "down"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(metadata={"enum": ["up", "down"]}))


# providers' webhooks ----------------------------------------------------------

class StripeWebhookReply(Schema):
    event_id = fields.String()
    type = fields.String(metadata={"description": "the Stripe event type"})
    outcome = fields.String(metadata={"description": "what was done: applied, ignored, duplicate..."})


class TwilioStatusReply(Schema):
    recorded = fields.Boolean(metadata={"description": "false: a repeat, or nothing to record"})
    message_id = fields.UUID(metadata={"optional": True})
    status = fields.String(metadata={"optional": True, "description": "the message's status now"})
    reason = fields.String(metadata={"optional": True, "description": "why nothing was recorded"})
