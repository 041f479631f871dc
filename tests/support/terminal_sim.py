"""A Stripe Terminal simulator the tests start, in front of localstripe
(which has no Terminal): it answers the Terminal API of a server-driven
integration and the ``card_present`` PaymentIntents itself, and forwards
every other request to localstripe.

- ``/v1/terminal/locations`` (create), ``/v1/terminal/readers`` (register
  with Stripe's simulated code ``simulated-wpe``, retrieve, list),
  ``.../process_payment_intent`` (``terminal_reader_busy`` while an action is
  in progress), ``.../cancel_action`` (the action becomes null);
- ``/v1/test_helpers/terminal/readers/{id}/present_payment_method`` with
  Stripe's test card numbers: ``4242424242424242`` (and any other) is
  authorized, ``DECLINES`` are refused; the reader's action succeeds or
  fails, the PaymentIntent is ``requires_capture`` or back to
  ``requires_payment_method`` with its ``last_payment_error``;
- ``card_present`` PaymentIntents: create, retrieve, capture, cancel, and
  refunds of them;
- Idempotency-Key honoured on the simulator's own POSTs (the same answer
  again), as Stripe does;
- signed webhook events (``terminal.reader.action_succeeded`` /
  ``action_failed``, ``payment_intent.*``) delivered to ``deliver`` (a
  callable ``(payload, signature)`` or a URL) as ``webhooks`` says:
  ``"once"``, ``"twice"`` (the same event again), ``"late"`` (held until
  ``deliver_held()``) or ``"never"``.

A reader that never answers is one nobody presents a card to.
"""
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

import eventlet
import eventlet.queue
import eventlet.wsgi
import stripe

SIMULATED_CODE = "simulated-wpe"
DECLINES = {"4000000000000002": ("card_declined", "generic_decline", "Your card was declined."),
            "4000000000009995": ("card_declined", "insufficient_funds",
                                 "Your card has insufficient funds.")}


def _id(prefix):
    return f"{prefix}_sim{secrets.token_hex(8)}"


def form(body):
    """Stripe's form encoding (``a[b]=c``, ``a[0]=c``) as nested dicts and lists."""
    out = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        node = out
        for part, following in zip(parts, parts[1:]):
            if isinstance(node, list):
                node.append({})
                node = node[-1]
            else:
                node = node.setdefault(part, [] if following.isdigit() else {})
        if isinstance(node, list):
            node.append(value)
        else:
            node[parts[-1]] = value
    return out


class Refused(Exception):
    def __init__(self, status, message, code=None, kind="invalid_request_error", **extra):
        super().__init__(message)
        self.status = status
        self.error = {"type": kind, "message": message, "code": code, **extra}


class TerminalSim:
    def __init__(self, upstream, secret, deliver=None, webhooks="once"):
        self.upstream = upstream.rstrip("/")
        self.secret, self.deliver, self.webhooks = secret, deliver, webhooks
        self.readers, self.locations, self.intents = {}, {}, {}
        self.held, self.sent, self.failed, self.calls, self.replies = [], [], [], [], {}
        self.outbox = eventlet.queue.Queue()
        self.courier = eventlet.spawn(self._courier)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.server = eventlet.spawn(eventlet.wsgi.server, self.listener, self.app,
                                     log_output=False, log=None)

    def close(self):
        self.courier.kill()
        self.server.kill()
        self.listener.close()

    # --- webhooks -------------------------------------------------------------------------

    def _event(self, kind, obj):
        event = {"id": _id("evt"), "object": "event", "type": kind, "created": int(time.time()),
                 "livemode": False, "data": {"object": json.loads(json.dumps(obj))}}
        payload = json.dumps(event)
        signature = stripe.WebhookSignature.generate_signature_header(payload, self.secret)
        if self.webhooks == "late":
            self.held.append((payload, signature))
        elif self.webhooks != "never" and self.deliver is not None:
            self.outbox.put((payload, signature, 2 if self.webhooks == "twice" else 1))

    def _courier(self):
        """One delivery at a time, in order (as Stripe's retries of one endpoint)."""
        while True:
            payload, signature, times = self.outbox.get()
            try:
                self._send(payload, signature, times)
            except Exception as exc:        # noqa: BLE001 - Stripe would retry; tests look at sent
                self.failed.append(repr(exc))

    def _send(self, payload, signature, times=1):
        for _ in range(times):
            if callable(self.deliver):
                self.deliver(payload, signature)
            else:
                request = urllib.request.Request(self.deliver, data=payload.encode(), headers={
                    "Content-Type": "application/json", "Stripe-Signature": signature})
                with urllib.request.urlopen(request, timeout=10) as answer:
                    answer.read()
            self.sent.append(json.loads(payload)["type"])

    def deliver_held(self, times=1):
        """The late events, now (each ``times`` times), in order."""
        held, self.held = self.held, []
        for payload, signature in held:
            self._send(payload, signature, times)

    # --- HTTP -------------------------------------------------------------------------------

    def app(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        query = environ.get("QUERY_STRING", "")
        self.calls.append((method, path))
        params = form(body.decode() if method == "POST" else query)
        handler = self._route(method, path, params)
        if handler is None:
            status, data = self._forward(method, path, query, body, environ)
        else:
            key = environ.get("HTTP_IDEMPOTENCY_KEY") if method == "POST" else None
            if key and key in self.replies:
                status, data = self.replies[key]
            else:
                try:
                    status, data = 200, json.dumps(handler())
                except Refused as exc:
                    status, data = exc.status, json.dumps({"error": exc.error})
                if key:
                    self.replies[key] = (status, data)
            data = data.encode()
        start_response(f"{status} X", [("Content-Type", "application/json"),
                                       ("Content-Length", str(len(data)))])
        return [data]

    def _forward(self, method, path, query, body, environ):
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_") and k not in ("HTTP_HOST", "HTTP_CONNECTION")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        url = self.upstream + path + (f"?{query}" if query else "")
        request = urllib.request.Request(url, data=body if method == "POST" else None,
                                         headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def _route(self, method, path, p):
        parts = path.strip("/").split("/")[1:]          # without "v1"
        if parts[:2] == ["terminal", "locations"] and method == "POST" and len(parts) == 2:
            return lambda: self._location(p)
        if parts[:2] == ["terminal", "readers"]:
            if len(parts) == 2:
                return (lambda: self._register(p)) if method == "POST" else \
                    (lambda: {"object": "list", "data": list(self.readers.values()),
                              "has_more": False, "url": "/v1/terminal/readers"})
            reader = lambda: self._reader(parts[2])     # noqa: E731
            if len(parts) == 3:
                return reader
            return {"process_payment_intent": lambda: self._process(reader(), p),
                    "cancel_action": lambda: self._cancel_action(reader())}.get(parts[3])
        if parts[:3] == ["test_helpers", "terminal", "readers"] and parts[4:] == ["present_payment_method"]:
            return lambda: self._present(self._reader(parts[3]), p)
        if parts[:1] == ["payment_intents"]:
            if len(parts) == 1 and method == "POST" and "card_present" in str(p.get("payment_method_types")):
                return lambda: self._create_intent(p)
            if len(parts) >= 2 and parts[1] in self.intents:
                pi = self.intents[parts[1]]
                action = parts[2] if len(parts) > 2 else "retrieve"
                return {"retrieve": lambda: pi, "capture": lambda: self._capture(pi),
                        "cancel": lambda: self._cancel_intent(pi)}.get(action)
        if parts == ["refunds"] and method == "POST" and p.get("payment_intent") in self.intents:
            return lambda: self._refund(self.intents[p["payment_intent"]], p)
        return None

    # --- Terminal ---------------------------------------------------------------------------

    def _location(self, p):
        loc = {"id": _id("tml"), "object": "terminal.location", "display_name": p.get("display_name"),
               "address": p.get("address") or {}, "metadata": p.get("metadata") or {},
               "livemode": False}
        self.locations[loc["id"]] = loc
        return loc

    def _register(self, p):
        if p.get("registration_code") != SIMULATED_CODE:
            raise Refused(400, "The registration code is invalid or has expired.",
                          "resource_missing", param="registration_code")
        if p.get("location") and p["location"] not in self.locations:
            raise Refused(400, f"No such location: '{p['location']}'", "resource_missing",
                          param="location")
        reader = {"id": _id("tmr"), "object": "terminal.reader", "action": None,
                  "device_type": "simulated_wisepos_e", "label": p.get("label"),
                  "location": p.get("location"), "metadata": p.get("metadata") or {},
                  "serial_number": secrets.token_hex(8), "status": "online", "livemode": False}
        self.readers[reader["id"]] = reader
        return reader

    def _reader(self, reader_id):
        if reader_id not in self.readers:
            raise Refused(404, f"No such terminal.reader: '{reader_id}'", "resource_missing")
        return self.readers[reader_id]

    def _process(self, reader, p):
        pi = self.intents.get(p.get("payment_intent"))
        if pi is None:
            raise Refused(400, "No such payment_intent", "resource_missing", param="payment_intent")
        if (reader["action"] or {}).get("status") == "in_progress":
            raise Refused(409, "Reader is currently busy processing another request.",
                          "terminal_reader_busy")
        if pi["status"] != "requires_payment_method":
            raise Refused(400, f"This PaymentIntent's status is {pi['status']}.",
                          "payment_intent_unexpected_state")
        reader["action"] = {"type": "process_payment_intent", "status": "in_progress",
                            "process_payment_intent": {"payment_intent": pi["id"]},
                            "failure_code": None, "failure_message": None}
        return reader

    def _cancel_action(self, reader):
        if (reader["action"] or {}).get("status") != "in_progress":
            raise Refused(400, "This reader has no action in progress.",
                          "terminal_reader_action_not_cancelable")   # nothing to cancel
        reader["action"] = None
        return reader

    def _present(self, reader, p):
        action = reader["action"] or {}
        if action.get("status") != "in_progress":
            raise Refused(400, "The reader has no action to present a payment method to.",
                          "terminal_reader_invalid_state")
        pi = self.intents[action["process_payment_intent"]["payment_intent"]]
        number = (p.get("card_present") or {}).get("number") or "4242424242424242"
        declined = DECLINES.get(number)
        if declined:
            code, decline_code, message = declined
            pi["last_payment_error"] = {"type": "card_error", "code": code,
                                        "decline_code": decline_code, "message": message}
            action.update(status="failed", failure_code=code, failure_message=message)
            self._event("payment_intent.payment_failed", pi)     # Stripe's order is not promised
            self._event("terminal.reader.action_failed", reader)
        else:
            pi.update(status="requires_capture", payment_method=_id("pm"), last_payment_error=None,
                      amount_capturable=pi["amount"],
                      latest_charge={"id": _id("ch"), "object": "charge", "amount": pi["amount"],
                                     "captured": False, "amount_refunded": 0,
                                     "payment_intent": pi["id"],
                                     "payment_method_details": {"type": "card_present",
                                                                "card_present": {"last4": number[-4:],
                                                                                 "brand": "visa"}}})
            action.update(status="succeeded")
            self._event("terminal.reader.action_succeeded", reader)
        return reader

    # --- card_present PaymentIntents ------------------------------------------------------

    def _create_intent(self, p):
        pi = {"id": _id("pi"), "object": "payment_intent", "amount": int(p["amount"]),
              "currency": p["currency"], "status": "requires_payment_method",
              "payment_method_types": ["card_present"],
              "capture_method": p.get("capture_method", "automatic"),
              "metadata": p.get("metadata") or {}, "latest_charge": None,
              "last_payment_error": None, "payment_method": None, "amount_capturable": 0,
              "amount_received": 0, "livemode": False}
        pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(6)}"
        self.intents[pi["id"]] = pi
        return pi

    def _capture(self, pi):
        if pi["status"] != "requires_capture":
            raise Refused(400, "This PaymentIntent could not be captured because it has a status "
                          f"of {pi['status']}.", "payment_intent_unexpected_state")
        pi.update(status="succeeded", amount_received=pi["amount"], amount_capturable=0)
        pi["latest_charge"]["captured"] = True
        self._event("payment_intent.succeeded", pi)
        return pi

    def _cancel_intent(self, pi):
        if pi["status"] in ("succeeded", "canceled"):
            raise Refused(400, "You cannot cancel this PaymentIntent because it has a status of "
                          f"{pi['status']}.", "payment_intent_unexpected_state")
        pi.update(status="canceled", amount_capturable=0)
        return pi

    def _refund(self, pi, p):
        charge = pi.get("latest_charge")
        amount = int(p.get("amount") or pi["amount"])
        if pi["status"] != "succeeded" or charge["amount_refunded"] + amount > pi["amount"]:
            raise Refused(400, "Refund amount is greater than the unrefunded amount.",
                          "charge_already_refunded")
        charge["amount_refunded"] += amount
        return {"id": _id("re"), "object": "refund", "amount": amount, "status": "succeeded",
                "payment_intent": pi["id"], "charge": charge["id"],
                "metadata": p.get("metadata") or {}}
