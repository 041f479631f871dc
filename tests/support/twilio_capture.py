"""A local stand-in for Twilio's REST API, for tests that use the real
``twilio`` SDK: a small WSGI server on 127.0.0.1, in the test process, that
records every request the SDK makes to
``/2010-04-01/Accounts/{sid}/Messages.json`` and answers like Twilio:
201 with a message resource (``sid``, ``status: "queued"``), or Twilio's
error JSON (``code`` 21610 for a number that replied STOP, ...).

    capture = TwilioCapture()
    ... TWILIO_API_BASE=capture.base_url ...
    capture.refuse("+15005550009", code=21610)
    capture.fail_next(status=503)
    capture.wait_for(1)[0]["To"]

``sign(token, url, params)`` computes the ``X-Twilio-Signature`` Twilio would
send to a webhook.
"""
import base64
import json
import re
import uuid
from email.utils import formatdate
from urllib.parse import parse_qsl

import eventlet
import eventlet.wsgi
from twilio.request_validator import RequestValidator

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")

ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20429: "Too Many Requests",
    20503: "Service unavailable",
}


def sign(auth_token, url, params):
    return RequestValidator(auth_token).compute_signature(url, params)


class _Quiet:
    def write(self, *_):
        pass


class TwilioCapture:
    def __init__(self, account_sid="AC" + "1" * 32, auth_token="test-auth-token"):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests = []          # every request: method, path, form, auth
        self.refusals = {}          # To -> (status, code, message)
        self.failures = []          # answers for the next requests, in order
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = eventlet.spawn(eventlet.wsgi.server, self.listener, self.app,
                                     log=_Quiet(), log_output=False)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    # --- what a test sets up --------------------------------------------------
    def refuse(self, to, code=21610, status=400, message=None):
        self.refusals[to] = (status, code, message or ERRORS.get(code, "refused"))

    def fail_next(self, times=1, status=503, code=20503, message=None):
        for _ in range(times):
            self.failures.append((status, code, message or ERRORS.get(code, "error")))

    # --- what a test reads ----------------------------------------------------
    def messages(self, to=None):
        """The Messages.json requests answered (accepted or refused), as forms."""
        return [r["form"] for r in self.requests
                if r["path_match"] and (to is None or r["form"].get("To") == to)]

    def accepted(self, to=None):
        """The messages Twilio took, as forms (with the ``_sid`` it answered)."""
        return [dict(r["form"], _sid=r.get("sid")) for r in self.requests
                if r["path_match"] and r["status"] == 201 and (to is None or r["form"].get("To") == to)]

    def wait_for(self, count, to=None, timeout=10.0):
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while len(self.messages(to)) < count:
            if eventlet.hubs.get_hub().clock() > deadline:
                raise AssertionError(f"Twilio capture: expected {count} message(s) to {to or 'anyone'}, "
                                     f"got {self.messages(to)}")
            eventlet.sleep(0.05)
        return self.messages(to)

    def close(self):
        self.thread.kill()
        self.listener.close()

    # --- the server -------------------------------------------------------------
    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode() if length else ""
        form = dict(parse_qsl(raw, keep_blank_values=True))
        path = environ.get("PATH_INFO", "")
        match = MESSAGES.match(path)
        auth = environ.get("HTTP_AUTHORIZATION", "")
        user = None
        if auth.startswith("Basic "):
            user = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        record = {"method": environ["REQUEST_METHOD"], "path": path, "form": form,
                  "user": user, "path_match": bool(match), "status": None}
        self.requests.append(record)

        def reply(status, body):
            record["status"] = status
            reason = {201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                      429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "Error")
            start_response(f"{status} {reason}", [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]

        def error(status, code, message):
            return reply(status, {"code": code, "message": message, "status": status,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}"})

        if not match or environ["REQUEST_METHOD"] != "POST":
            return error(404, 20404, "The requested resource was not found")
        if match.group("account") != self.account_sid or user != self.account_sid:
            return error(401, 20003, "Authenticate")
        if self.failures:
            return error(*self.failures.pop(0))
        to = form.get("To")
        if not to or not re.match(r"^\+[1-9]\d{6,14}$", to):
            return error(400, 21211, ERRORS[21211])
        if to in self.refusals:
            return error(*self.refusals[to])
        sid = "SM" + uuid.uuid4().hex
        record["sid"] = sid
        now = formatdate(usegmt=True)
        return reply(201, {
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": form.get("Body"),
            "status": "accepted" if form.get("MessagingServiceSid") and not form.get("From") else "queued",
            "num_segments": "1", "num_media": "0", "direction": "outbound-api",
            "api_version": "2010-04-01", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now,
            "date_sent": None, "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            "subresource_uris": {}})
