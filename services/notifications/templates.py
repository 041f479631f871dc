"""Message templates: which placeholders each trigger offers, the built-in
wording, and rendering. Pure functions; the saved templates (per chain and
store, per language) live in the database and are looked up by
``saved_templates``. Amounts arrive already written for a person to read
in the store's locale (``triggers.money_text``, docs/ARCHITECTURE.md#rule-6);
a text message writes their no-break spaces plain (``render_sms``).

A placeholder is ``{name}``; ``{{`` and ``}}`` are literal braces. A template
may only use the names its trigger offers: anything else (an unknown name,
an attribute, an index, a format spec) is refused when it is saved.
"""
import string

from chassis.errors import InvalidInput

from .sms import is_gsm7, plain_spacing, sms_stats

CHANNELS = ("sms", "email")

CLIENT_FIELDS = ("first_name", "last_name", "store_name", "store_phone")
WORK_ORDER_FIELDS = ("number", "kind", "tracking_url")

# trigger -> what it is for, its placeholders, and whether it may break quiet hours
TRIGGERS = {
    "estimate_ready": {
        "placeholders": CLIENT_FIELDS + WORK_ORDER_FIELDS + ("amount", "approval_url"),
        "channels": ("sms", "email"),
    },
    "ready_for_pickup": {
        "placeholders": CLIENT_FIELDS + WORK_ORDER_FIELDS,
        "channels": ("sms", "email"),
    },
    "pickup_reminder": {
        "placeholders": CLIENT_FIELDS + WORK_ORDER_FIELDS + ("days_waiting",),
        "channels": ("sms", "email"),
    },
    "workorder_overdue": {
        "placeholders": ("store_name", "number", "kind", "promised_date", "stage", "first_name",
                         "last_name"),
        "channels": ("task",),
    },
    "memo_overdue": {
        "placeholders": ("store_name", "counterparty", "pieces", "due_date", "what"),
        "channels": ("task",),
    },
    "appointment_booked": {
        "placeholders": CLIENT_FIELDS + ("appointment_date", "appointment_time", "purpose"),
        "channels": ("sms", "email"),
    },
    "appointment_reminder": {
        "placeholders": CLIENT_FIELDS + ("appointment_date", "appointment_time", "purpose"),
        "channels": ("sms", "email"),
    },
    "layaway_payment_due": {
        "placeholders": CLIENT_FIELDS + ("amount_due", "due_date", "balance"),
        "channels": ("sms", "email"),
    },
    "receipt": {
        "placeholders": CLIENT_FIELDS + ("receipt_number", "total", "subtotal", "tax", "lines",
                                         "completed_date"),
        "channels": ("email", "sms"),
    },
    "milestone": {
        "placeholders": CLIENT_FIELDS + ("milestone", "milestone_date", "days_until"),
        "channels": ("sms", "email"),
    },
    "milestone_task": {
        "placeholders": CLIENT_FIELDS + ("milestone", "milestone_date", "days_until"),
        "channels": ("task",),
    },
    "campaign": {
        "placeholders": CLIENT_FIELDS,
        "channels": ("sms", "email"),
    },
    "staff": {
        "placeholders": CLIENT_FIELDS,
        "channels": ("sms", "email"),
    },
}

EDITABLE = tuple(t for t in TRIGGERS if t not in ("campaign", "staff"))

# Built-in wording, English; a chain or store saves its own per language.
DEFAULTS = {
    ("estimate_ready", "sms"): (
        None,
        "Hi {first_name}, the estimate for your {kind} (job {number}) at {store_name} is {amount}. "
        "Review and approve: {approval_url}"),
    ("estimate_ready", "email"): (
        "Your estimate from {store_name}: job {number}",
        "Hello {first_name},\n\nThe estimate for your {kind} (job {number}) is {amount}.\n"
        "You can review and approve it here: {approval_url}\n\n{store_name} {store_phone}"),
    ("ready_for_pickup", "sms"): (
        None,
        "Hi {first_name}, your {kind} (job {number}) is ready for pickup at {store_name}. "
        "Details: {tracking_url}"),
    ("ready_for_pickup", "email"): (
        "Ready for pickup: job {number}",
        "Hello {first_name},\n\nYour {kind} (job {number}) is ready for pickup at {store_name}.\n"
        "Status: {tracking_url}\n\n{store_name} {store_phone}"),
    ("pickup_reminder", "sms"): (
        None,
        "Hi {first_name}, a reminder that your {kind} (job {number}) has been waiting for you at "
        "{store_name} for {days_waiting} days. {tracking_url}"),
    ("pickup_reminder", "email"): (
        "Waiting for you: job {number}",
        "Hello {first_name},\n\nYour {kind} (job {number}) has been ready at {store_name} for "
        "{days_waiting} days.\nStatus: {tracking_url}\n\n{store_name} {store_phone}"),
    ("workorder_overdue", "task"): (
        None,
        "Job {number} ({kind}) for {first_name} {last_name} is past its promised date "
        "{promised_date} and is still {stage}."),
    ("memo_overdue", "task"): (
        None,
        "Memo with {counterparty}: {pieces} piece(s) {what} on {due_date} and the memo is still "
        "open. Call them, then settle the memo."),
    ("appointment_booked", "sms"): (
        None,
        "Hi {first_name}, your appointment at {store_name} is booked for {appointment_date} at "
        "{appointment_time}. Questions? {store_phone}"),
    ("appointment_booked", "email"): (
        "Your appointment at {store_name}",
        "Hello {first_name},\n\nYour appointment at {store_name} is booked for {appointment_date} "
        "at {appointment_time}.\n\n{store_name} {store_phone}"),
    ("appointment_reminder", "sms"): (
        None,
        "Hi {first_name}, see you tomorrow: {appointment_date} at {appointment_time} at "
        "{store_name}. To change it call {store_phone}"),
    ("appointment_reminder", "email"): (
        "Reminder: your appointment at {store_name}",
        "Hello {first_name},\n\nA reminder of your appointment at {store_name} on "
        "{appointment_date} at {appointment_time}.\n\n{store_name} {store_phone}"),
    ("layaway_payment_due", "sms"): (
        None,
        "Hi {first_name}, your layaway payment of {amount_due} at {store_name} is due on "
        "{due_date}. Balance: {balance}"),
    ("layaway_payment_due", "email"): (
        "Layaway payment due {due_date}",
        "Hello {first_name},\n\nYour layaway payment of {amount_due} is due on {due_date}.\n"
        "Remaining balance: {balance}\n\n{store_name} {store_phone}"),
    ("receipt", "email"): (
        "Your receipt {receipt_number} from {store_name}",
        "Hello {first_name},\n\nThank you for your purchase at {store_name} on {completed_date}.\n\n"
        "{lines}\n\nSubtotal: {subtotal}\nTax: {tax}\nTotal: {total}\n\nReceipt {receipt_number}\n"
        "{store_name} {store_phone}"),
    ("receipt", "sms"): (
        None,
        "Thank you for your purchase at {store_name}, {first_name}. Receipt {receipt_number}, "
        "total {total}."),
    ("milestone", "sms"): (
        None,
        "Hi {first_name}, your {milestone} is coming up on {milestone_date}. "
        "We would love to help you celebrate at {store_name}."),
    ("milestone", "email"): (
        "Your {milestone} is coming up",
        "Hello {first_name},\n\nYour {milestone} is on {milestone_date}. We would love to help "
        "you celebrate.\n\n{store_name} {store_phone}"),
    ("milestone_task", "task"): (
        None,
        "{first_name} {last_name}'s {milestone} is in {days_until} days ({milestone_date}): "
        "reach out."),
}

# Values used to show what a template looks like and how many segments it takes.
SAMPLE = {
    "first_name": "Alexandra", "last_name": "Whitmore", "store_name": "Fifth Avenue",
    "store_phone": "+12125550100", "number": "WO-000123", "kind": "repair",
    "tracking_url": "https://shop.example.com/track/6f1c2a9e4b7d", "amount": "$185.00",
    "approval_url": "https://shop.example.com/track/6f1c2a9e4b7d?approve=1", "days_waiting": "14",
    "promised_date": "2026-12-15", "stage": "in_progress", "appointment_date": "Sat 12 Dec",
    "appointment_time": "14:30", "purpose": "engagement ring viewing", "amount_due": "$250.00",
    "due_date": "2026-12-20", "balance": "$1,250.00", "receipt_number": "R-NYC-000456",
    "total": "$4,875.00", "subtotal": "$4,500.00", "tax": "$375.00",
    "lines": "Solitaire engagement ring  $4,500.00", "completed_date": "2026-12-11",
    "milestone": "anniversary", "milestone_date": "2026-12-24", "days_until": "14",
}


class TemplateError(ValueError):
    """A template that cannot be saved; ``problems`` are readable sentences."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def placeholders(text):
    """The placeholder names in ``text``; raises TemplateError when malformed."""
    try:
        parsed = list(string.Formatter().parse(text or ""))
    except ValueError as exc:
        raise TemplateError([f"malformed braces: {exc} (write {{{{ and }}}} for literal braces)"])
    names, problems = [], []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            problems.append(f"{{{name}{'!' + conversion if conversion else ''}"
                            f"{':' + spec if spec else ''}}} is not a plain placeholder")
            continue
        names.append(name)
    if problems:
        raise TemplateError(problems)
    return names


def check(trigger, text, field="body"):
    """Problems with ``text`` as a template of ``trigger`` (empty when fine)."""
    allowed = TRIGGERS[trigger]["placeholders"]
    try:
        names = placeholders(text)
    except TemplateError as exc:
        return exc.problems
    unknown = sorted({n for n in names if n not in allowed})
    if unknown:
        return ["unknown placeholder{} {}; {} offers: {}".format(
            "s" if len(unknown) > 1 else "", ", ".join("{%s}" % n for n in unknown),
            trigger, ", ".join("{%s}" % n for n in allowed))]
    return []


def render(text, values):
    """Fill ``text``'s placeholders from ``values`` (missing ones: empty)."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text or ""):
        out.append(literal)
        if name is not None:
            value = values.get(name)
            out.append("" if value is None else str(value))
    return "".join(out)


def render_sms(text, values):
    """``render`` for a text message. Amounts as Babel writes them carry
    no-break spaces and bidi marks that GSM-7 lacks: one of them makes the
    whole text UCS-2, 70 characters a segment instead of 160. The values are
    written with plain spaces and no marks when that keeps the text GSM-7;
    a text that is UCS-2 anyway (its wording, a name) keeps them as written."""
    plain = render(text, {k: plain_spacing(v) if isinstance(v, str) else v
                          for k, v in values.items()})
    return plain if is_gsm7(plain) else render(text, values)


def default(trigger, channel):
    return DEFAULTS.get((trigger, channel))


def preview(trigger, body, subject=None):
    """The template filled with sample values, and its SMS figures; a text
    that is not a template (``"x {"``) is a 422 on its field."""
    text = _sample(body, "body")
    return {"sample": text, "sample_subject": _sample(subject, "subject") if subject else None,
            "sms": sms_stats(text)}


def _sample(text, field):
    try:
        return render(text, SAMPLE)
    except ValueError as exc:
        raise InvalidInput(f"the {field} is not a template", {field: [str(exc)]}) from None


def catalog():
    """Every trigger with its placeholders and built-in wording."""
    out = []
    for trigger, spec in TRIGGERS.items():
        out.append({
            "trigger": trigger, "placeholders": list(spec["placeholders"]),
            "channels": list(spec["channels"]), "editable": trigger in EDITABLE,
            "defaults": [
                {"channel": ch, "language": "en", "subject": DEFAULTS[(trigger, ch)][0],
                 "body": DEFAULTS[(trigger, ch)][1]}
                for ch in spec["channels"] if (trigger, ch) in DEFAULTS
            ],
        })
    return out

