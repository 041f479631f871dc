"""The client book's routes (docs/API.md#clients-crm). Thin: validate at the edge,
pass the body as sent to the crm service, which validates again and shapes
each reply by the caller's role (a bench jeweler sees name and phone only)
and stores (docs/ARCHITECTURE.md#rule-7: another store sees what identifies
a client; its full profile and every change are for HQ and the client's stores).

A mixin of the gateway ``Service`` (``class Service(CrmRoutes, ServiceBase)``):
it uses the service's ``crm`` RPC proxy.
"""
from chassis.identity import ANY_STAFF, HQ, HQ_ADMIN, MANAGERS, OVERSIGHT, READERS, SELLERS
from contracts.rpc import crm as schemas

from . import crm_schemas as views
from .http import route


def _query(request):
    """The query as sent (the edge validated it): JSON-safe for RPC."""
    return request.args.to_dict()


class CrmRoutes:
    # clients ------------------------------------------------------------------------

    @route("POST", "/clients", roles=SELLERS, body=schemas.ClientInput,
           response=schemas.ClientView, status=201, idempotent=True)
    def create_client(self, request):
        """Add a client to the chain's book.

        ``phone`` is normalized to E.164, read in the home store's country
        unless it starts with a country code; ``consent`` records when and how
        (``source``) it was given. ``client.created`` goes out.
        """
        client = self.crm.create_client(request.json_body)
        request.audit["store_id"] = client.get("home_store_id")
        return client

    @route("GET", "/clients", roles=ANY_STAFF, query=schemas.ClientSearch,
           response=schemas.ClientPage)
    def search_clients(self, request):
        """Find clients by name (typos forgiven), phone (any format) or e-mail."""
        return self.crm.search_clients(_query(request))

    @route("GET", "/clients/duplicates", roles=READERS, query=schemas.DuplicateQuery,
           response=schemas.DuplicatePage)
    def find_duplicates(self, request):
        """Likely duplicates: the same phone, the same e-mail or a similar name."""
        return self.crm.find_duplicates(_query(request))

    @route("GET", "/clients/{id}", roles=ANY_STAFF, response=schemas.ClientView)
    def get_client(self, request, id):
        """A client's profile with lifetime value, tier, points and last purchase.

        Every read is recorded (who, when, from which store). A bench jeweler
        gets ``id``, names and phone only; staff of a store the client does
        not belong to (home store, stores of purchases, jobs, appointments)
        get ``id``, names, the phone's last two digits, tier and home store.
        A merged client's id answers its survivor's profile.
        """
        return self.crm.get_client(id)

    @route("PATCH", "/clients/{id}", roles=SELLERS, body=schemas.ClientPatch,
           response=schemas.ClientView)
    def update_client(self, request, id):
        """Change a client; lists (tags, milestones, preferences) are replaced."""
        return self.crm.update_client(id, request.json_body)

    @route("GET", "/clients/{id}/timeline", roles=READERS, query=schemas.TimelineQuery,
           response=schemas.TimelinePage)
    def client_timeline(self, request, id):
        """Purchases, work orders, messages, appointments and wish alerts, newest first."""
        return self.crm.timeline(id, _query(request))

    @route("POST", "/clients/{id}/merge", roles=MANAGERS, body=schemas.MergeRequest,
           response=schemas.ClientView)
    def merge_clients(self, request, id):
        """Fold ``duplicate_id`` into this client; nothing of either is lost.

        Clients of different home stores are merged by HQ (403 otherwise).

        The duplicate's id resolves to this client from then on;
        ``client.merged`` goes out.
        """
        return self.crm.merge_clients(id, request.json_body)

    @route("POST", "/clients/{id}/wishlist", roles=SELLERS, body=schemas.WishRequest,
           response=schemas.WishView, status=201, idempotent=True)
    def add_wish(self, request, id):
        """Wish for a piece (``item_id``) or describe the wish (``description``)."""
        request.audit["entity_id"] = id
        return self.crm.add_wish(id, request.json_body)

    @route("DELETE", "/clients/{id}/wishlist/{wish_id}", roles=SELLERS,
           response=schemas.WishView)
    def remove_wish(self, request, id, wish_id):
        """Take a wish off the list."""
        return self.crm.remove_wish(id, wish_id)

    @route("GET", "/clients/{id}/recommendations", roles=READERS,
           query=schemas.RecommendationQuery, response=schemas.Recommendations)
    def recommendations(self, request, id):
        """In-stock pieces that match the client's taste, from the home store's stock
        (or the caller's, a store the client bought at); part of the full profile:
        404 to a store the client does not belong to."""
        return self.crm.recommendations(id, _query(request))

    @route("GET", "/clients/{id}/loyalty", roles=READERS, query=schemas.Page,
           response=schemas.LedgerPage)
    def loyalty_ledger(self, request, id):
        """The points ledger (earn, redeem, expire, adjust); its sum is the balance."""
        return self.crm.loyalty_ledger(id, _query(request))

    @route("POST", "/clients/{id}/loyalty/adjustments", roles=(HQ_ADMIN,),
           body=schemas.PointsAdjustment, status=201, idempotent=True,
           response=views.PointsAdjusted)
    def adjust_points(self, request, id):
        """HQ's correction of a points balance (never below zero)."""
        request.audit["entity_id"] = id
        return self.crm.adjust_points(id, request.json_body)

    @route("GET", "/clients/{id}/history", roles=OVERSIGHT,
           query=schemas.Page, response=views.ClientHistoryPage)
    def client_history(self, request, id):
        """Every change of a client: who, when, from which store, what."""
        return self.crm.client_history(id, _query(request))

    @route("GET", "/profile-reads", roles=HQ, query=schemas.ProfileReadQuery,
           response=views.ProfileReadPage)
    def profile_reads(self, request):
        """Who read which client's profile, when, from which store."""
        return self.crm.profile_reads(_query(request))

    # appointments -----------------------------------------------------------------------

    @route("POST", "/appointments", roles=SELLERS, body=schemas.AppointmentRequest,
           response=schemas.AppointmentView, status=201, idempotent=True)
    def book_appointment(self, request):
        """Book a private viewing; an associate is never booked twice at once (409)."""
        return self.crm.book_appointment(request.json_body)

    @route("GET", "/appointments", roles=READERS, query=schemas.AppointmentQuery,
           response=schemas.AppointmentPage)
    def list_appointments(self, request):
        """A store's book of viewings; ``date`` is a day of the store's time zone."""
        return self.crm.list_appointments(_query(request))

    @route("GET", "/appointments/{id}", roles=READERS, response=schemas.AppointmentView)
    def get_appointment(self, request, id):
        """One viewing."""
        return self.crm.get_appointment(id)

    @route("POST", "/appointments/{id}/cancel", roles=SELLERS, response=schemas.AppointmentView)
    def cancel_appointment(self, request, id):
        """Cancel a viewing; its slot is free again."""
        return self.crm.cancel_appointment(id)

    # campaigns ----------------------------------------------------------------------------

    @route("GET", "/segments", roles=READERS, query=schemas.SegmentQuery,
           response=schemas.SegmentPage)
    def segments(self, request):
        """Clients for a campaign: tier, home store, a milestone within N days,
        last purchase before a date, consent to a channel."""
        return self.crm.segment(_query(request))
