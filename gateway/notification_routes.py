"""The Messages routes (docs/API.md#messages). Thin: validate at the edge, pass
what was sent to the notifications service, which validates again, checks
consent and scope, and keeps the audit of who wrote what.

The Twilio webhooks are public: Twilio signs them instead of sending a
token. They arrive as a form (``application/x-www-form-urlencoded``), so
their route reads the form rather than JSON, and passes the URL it was
called on, the raw form and ``X-Twilio-Signature`` to the service, which
verifies the signature against ``PUBLIC_BASE_URL`` (403 otherwise). The
inbound webhook answers with TwiML: the STOP/START/HELP confirmation the
carriers require, or an empty ``<Response/>``.

A mixin of the gateway ``Service`` (``class Service(NotificationRoutes, ...)``):
it uses the service's ``notifications`` RPC proxy.
"""
from chassis.identity import ANY_STAFF, MANAGERS
from contracts.rpc import notifications as schemas

from . import message_schemas as views
from .http import Reply, Route
from .media import XML, produces
from .schemas import TwilioStatusReply

FORM = "application/x-www-form-urlencoded"


class FormRoute(Route):
    """A route whose body is a form (a provider's webhook), not JSON."""

    def read_json(self, request):
        if request.mimetype == FORM:
            return None
        return super().read_json(request)


form_route = FormRoute.decorator
route = Route.decorator


def _query(request):
    """The query as sent (the edge validated it): JSON-safe for RPC."""
    return request.args.to_dict()


def _webhook(request):
    form = request.form.to_dict(flat=False) if request.mimetype == FORM else {}
    params = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    return request.url, params, request.headers.get("X-Twilio-Signature")


class NotificationRoutes:
    # messages -----------------------------------------------------------------------

    @route("GET", "/messages", roles=ANY_STAFF, query=schemas.MessageQuery,
           response=views.MessagePage)
    def list_messages(self, request):
        """Messages sent and received, with their delivery status, newest first.

        Filter by ``client_id`` (a client's thread), ``work_order_id``,
        ``store_id``, ``channel`` (sms, email, task), ``status``, ``direction``.
        Store staff see their stores' messages only. ``delivery`` lists
        Twilio's callbacks in status order, however they arrived.
        """
        return self.notifications.list_messages(_query(request))

    @route("GET", "/messages/{id}", roles=ANY_STAFF, response=schemas.MessageView)
    def get_message(self, request, id):
        """One message with its delivery steps and history."""
        return self.notifications.get_message(id)

    @route("POST", "/messages", roles=ANY_STAFF, body=schemas.StaffMessage,
           response=schemas.MessageView, status=201, idempotent=True)
    def send_message(self, request):
        """A staff message to a client, sent only with their consent.

        422 when the client has not consented to the channel, replied STOP,
        or has no valid (E.164) number: nothing is sent. Texts respect quiet
        hours in the store's time zone unless ``urgent``.
        """
        message = self.notifications.send_message(request.json_body)
        request.audit["store_id"] = message.get("store_id")
        return message

    @route("POST", "/messages/campaigns", roles=MANAGERS, body=schemas.Campaign,
           response=schemas.CampaignResult, status=202, idempotent=True)
    def queue_campaign(self, request):
        """One text to many clients: those with consent are queued and sent
        at the from-number's rate; the others are counted, not texted."""
        result = self.notifications.queue_campaign(request.json_body)
        request.audit["entity_id"] = result.get("campaign_id")
        return result

    # templates ----------------------------------------------------------------------

    @route("GET", "/message-templates", roles=ANY_STAFF, query=schemas.TemplateQuery,
           response=views.TemplateList)
    def list_templates(self, request):
        """Saved wording, per chain and store and language, with SMS length
        and segments."""
        return self.notifications.list_templates(_query(request))

    @route("POST", "/message-templates", roles=MANAGERS, body=schemas.TemplateInput,
           response=schemas.TemplateView, status=201)
    def save_template(self, request):
        """Save a trigger's wording (the same store, trigger, channel and
        language replace the last one). An unknown placeholder is a 422."""
        return self.notifications.save_template(request.json_body)

    @route("DELETE", "/message-templates/{id}", roles=MANAGERS, response=views.TemplateDeleted)
    def delete_template(self, request, id):
        """Remove saved wording; the chain's or the built-in wording applies again."""
        return self.notifications.delete_template(id)

    @route("POST", "/message-templates/preview", roles=ANY_STAFF, body=schemas.TemplatePreview,
           response=views.TemplatePreviewed)
    def preview_template(self, request):
        """What a wording looks like with sample values, and its segments."""
        return self.notifications.preview_template(request.json_body)

    @route("GET", "/message-templates/catalog", roles=ANY_STAFF, response=views.TEMPLATE_CATALOG)
    def template_catalog(self, request):
        """Every trigger with its placeholders and built-in wording."""
        return self.notifications.template_catalog()

    # Twilio webhooks (public, signature-verified) -------------------------------------

    @form_route("POST", "/webhooks/twilio/status", public=True, errors=(403,),
                response=TwilioStatusReply)
    def twilio_status(self, request):
        """Twilio's delivery callback; ``X-Twilio-Signature`` verified (403
        otherwise). A status never moves backwards."""
        return self.notifications.twilio_status(*_webhook(request))

    @form_route("POST", "/webhooks/twilio/inbound", public=True, errors=(403,))
    @produces(XML)
    def twilio_inbound(self, request):
        """A client's text; STOP/UNSUBSCRIBE/START/HELP change consent at
        once and are answered in TwiML."""
        result = self.notifications.twilio_inbound(*_webhook(request))
        request.audit["entity_id"] = result.get("message_id")
        return Reply(result["twiml"], content_type="text/xml")
