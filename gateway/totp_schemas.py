"""HTTP schemas of the second factor and the chain's security policy
(``totp_routes``; docs/API.md#second-factor)."""
from marshmallow import Schema, fields, validate

from .totp import POLICY_ROLES


class TotpCode(Schema):
    code = fields.String(required=True, load_only=True, validate=[
        validate.Length(max=16),
        validate.Regexp(r"^[0-9 ]+$", error="the 6-digit code from the authenticator app")],
        metadata={"description": "the 6-digit code the authenticator app shows now"})


class TotpEnrolment(Schema):
    secret = fields.String(metadata={
        "description": "base32; shown this once, for typing into an app that cannot scan"})
    otpauth_uri = fields.String(metadata={"description": "the otpauth://totp/ URI in the QR code"})
    qr_svg = fields.String(metadata={"description": "the QR code: a data: URI of an SVG image"})


class TotpStatus(Schema):
    enabled = fields.Boolean(metadata={"description": "a confirmed second factor is on"})
    confirmed_at = fields.AwareDateTime(allow_none=True)
    required = fields.Boolean(metadata={"description": "the chain's policy requires it for the role"})


class SecurityPolicyChange(Schema):
    totp_required_roles = fields.List(
        fields.String(validate=validate.OneOf(POLICY_ROLES)), required=True,
        validate=validate.Length(max=len(POLICY_ROLES) * 2),
        metadata={"description": "the roles that must sign in with a one-time code"})


class SecurityPolicy(Schema):
    totp_required_roles = fields.List(fields.String(metadata={"enum": list(POLICY_ROLES)}))
    updated_at = fields.AwareDateTime()
    updated_by = fields.String(allow_none=True, metadata={"description": "the hq_admin's user id"})
