"""The senders on their own: the real twilio SDK pointed at the capture
server (from-number or Messaging Service), Twilio's answers mapped to
permanent or transient failures, and SMTP."""
import eventlet
import pytest

from services.notifications.senders import LoggingSender, SendError, SmtpMailer, TwilioSender
from services.notifications.settings import Settings

CALLBACK = "https://shop.example.test/webhooks/twilio/status?message_id=m-1"


def sender(twilio, **over):
    return TwilioSender(Settings(**{
        "twilio_account_sid": twilio.account_sid, "twilio_auth_token": twilio.auth_token,
        "twilio_api_base": twilio.base_url, "twilio_timeout": 5.0} | over))


def test_a_text_from_a_number_with_a_status_callback(twilio):
    answer = sender(twilio).send_sms("+12125550101", "Hello €", "+15005550006", CALLBACK)
    assert answer["sid"].startswith("SM") and answer["status"] == "queued"
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert request["user"] == twilio.account_sid
    assert request["form"] == {"To": "+12125550101", "From": "+15005550006", "Body": "Hello €",
                               "StatusCallback": CALLBACK}


def test_a_text_through_a_messaging_service(twilio):
    answer = sender(twilio).send_sms("+12125550101", "Hi", "MG" + "2" * 32, CALLBACK)
    assert answer["status"] == "accepted"
    form = twilio.messages()[0]
    assert form["MessagingServiceSid"] == "MG" + "2" * 32 and "From" not in form


@pytest.mark.parametrize("setup, code, permanent", [
    (lambda t: t.refuse("+12125550101", code=21610), "21610", True),
    (lambda t: t.refuse("+12125550101", code=21614), "21614", True),
    (lambda t: t.fail_next(status=503, code=20503), "20503", False),
    (lambda t: t.fail_next(status=429, code=20429), "20429", False),
])
def test_twilio_refusals_are_permanent_and_outages_transient(twilio, setup, code, permanent):
    setup(twilio)
    with pytest.raises(SendError) as err:
        sender(twilio).send_sms("+12125550101", "Hi", "+15005550006", CALLBACK)
    assert (err.value.code, err.value.permanent) == (code, permanent)


def test_an_unreachable_twilio_is_transient():
    listener = eventlet.listen(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    broken = TwilioSender(Settings(twilio_account_sid="AC1", twilio_auth_token="t",
                                   twilio_api_base=f"http://127.0.0.1:{port}", twilio_timeout=2.0))
    with pytest.raises(SendError) as err:
        broken.send_sms("+12125550101", "Hi", "+15005550006", CALLBACK)
    assert err.value.code == "network" and err.value.permanent is False


def test_the_logging_sender_records_texts_as_sent():
    logging_sender = LoggingSender()
    answer = logging_sender.send_sms("+12125550101", "Hi", "log", CALLBACK)
    assert answer["status"] == "sent" and logging_sender.sent[0]["to"] == "+12125550101"


def test_smtp_mailer(smtp):
    mailer = SmtpMailer(Settings(smtp_host="127.0.0.1", smtp_port=smtp.port,
                                 smtp_from="receipts@shop.example.test"))
    answer = mailer.send_email("alice@example.test", "Your receipt", "Thank you, Alice.", "m-1")
    [mail] = smtp.messages
    assert mail["from"] == "receipts@shop.example.test" and mail["to"] == ["alice@example.test"]
    assert mail["message"]["Message-ID"] == answer["sid"]
    assert mail["message"].get_content().strip() == "Thank you, Alice."
