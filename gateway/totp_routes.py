"""The second factor and the chain's security policy over HTTP
(docs/API.md#second-factor); a mixin of the gateway ``Service``. The rules
are in ``totp``.

Nothing here writes a code or a secret to the audit trail (the audit row
keeps the route, the user and the outcome, never the body), and enrolment
is not ``idempotent``: its answer, which holds the secret, is never kept
in the Idempotency-Key table.
"""
from chassis.identity import ANY_STAFF, HQ, HQ_ADMIN

from . import throttle, totp
from .http import route
from .totp_schemas import SecurityPolicy, SecurityPolicyChange, TotpCode, TotpEnrolment, TotpStatus


class TotpRoutes:

    @route("POST", "/me/totp", roles=ANY_STAFF, response=TotpEnrolment, limited_ok=True)
    def begin_totp(self, request):
        """Begin enrolling a second factor (TOTP, for an authenticator app).

        A new secret, as an otpauth:// URI and its QR code (an SVG ``data:``
        URI). The secret is shown in this answer only; the second factor is
        on once ``POST /me/totp/confirm`` gets a right code. Again before that: a new
        secret replaces the first. 409 when a confirmed one is on."""
        request.audit["entity_id"] = request.identity.user_id
        with self.db.transaction() as session:
            result = totp.begin(session, request.identity.user_id, self.settings.jwt_issuer)
        request.audit["detail"] = "began enrolling a second factor"
        return result

    @route("POST", "/me/totp/confirm", roles=ANY_STAFF, body=TotpCode, response=TotpStatus,
           limited_ok=True, errors=(429,))
    def confirm_totp(self, request):
        """Turn the second factor on with a code the app shows.

        422 on ``code`` when it is wrong (after ``SIGNIN_MAX_FAILURES`` wrong
        codes in a row, 429 for a while); 409 when no enrolment is under way."""
        request.audit["entity_id"] = request.identity.user_id
        result = self.with_a_code(request, totp.confirm)
        request.audit["detail"] = "second factor on"
        return result

    @route("DELETE", "/me/totp", roles=ANY_STAFF, body=TotpCode, response=TotpStatus, errors=(429,))
    def turn_off_totp(self, request):
        """Turn one's own second factor off, with a right code.

        409 when the chain's policy requires it for the caller's role; wrong
        codes are throttled as on ``POST /me/totp/confirm``."""
        request.audit["entity_id"] = request.identity.user_id
        result = self.with_a_code(request, totp.turn_off)
        request.audit["detail"] = "second factor off"
        return result

    @route("DELETE", "/users/{id}/totp", roles=(HQ_ADMIN,), response=TotpStatus)
    def reset_totp(self, request, id):
        """Clear a user's second factor (a lost phone) and end their sessions.

        They enrol again at their next sign-in when the policy requires it.
        One's own is another hq_admin's job (403)."""
        with self.db.transaction() as session:
            result = totp.reset(session, id, request.identity.user_id)
        request.audit["detail"] = "second factor reset; sessions ended"
        return result

    @route("GET", "/security-policy", roles=HQ, response=SecurityPolicy)
    def get_security_policy(self, request):
        """The chain's sign-in policy: the roles that must use a second factor."""
        with self.db.transaction() as session:
            return totp.policy_view(totp.policy(session))

    @route("PUT", "/security-policy", roles=(HQ_ADMIN,), body=SecurityPolicyChange,
           response=SecurityPolicy)
    def put_security_policy(self, request):
        """Set which roles must sign in with a one-time code.

        ``hq_admin``, ``store_manager`` or both (``[]``: nobody). A user of such a role without a second factor gets, at
        their next sign-in, a session that can only enrol one."""
        roles = request.body["totp_required_roles"]
        with self.db.transaction() as session:
            result = totp.set_policy(session, roles, request.identity.user_id)
        request.audit["detail"] = "second factor required for: {}".format(
            ", ".join(result["totp_required_roles"]) or "nobody")
        return result

    def with_a_code(self, request, rule):
        """Run ``rule(session, user_id, code)``; wrong codes are counted per
        user and throttled like sign-ins (a stolen session cannot try the
        million codes), a right one clears the count."""
        user_id, key = request.identity.user_id, f"totp:{request.identity.user_id}"
        with self.db.transaction() as session:
            throttle.check(session, [key])
        try:
            with self.db.transaction() as session:
                result = rule(session, user_id, request.body["code"])
                throttle.succeed(session, key)
            return result
        except totp.WrongCode:
            with self.db.transaction() as session:
                throttle.fail(session, [key], self.settings)
            raise
