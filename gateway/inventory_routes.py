"""The inventory routes (docs/API.md#inventory). Thin: validate at the edge, pass
the body as sent to the inventory service, which validates again, checks the
caller's store scope and answers 404 for another store's piece.

A mixin of the gateway ``Service``: it uses the service's ``inventory`` RPC proxy.
"""
import base64
import uuid

from marshmallow import Schema, fields, validate

from chassis.identity import ANY_STAFF, HQ, MANAGERS, READERS, SELLERS
from contracts.rpc import inventory as schemas

from . import inventory_schemas as views
from .http import Reply, route
from .media import PDF, ZPL, ZPL_TYPE, produces
from .report_schemas import AgingReport, StockValueReport


class ItemPage(Schema):
    items = fields.List(fields.Nested(schemas.Item))
    next_cursor = fields.String(allow_none=True)


class MemoQuery(Schema):
    overdue = fields.Boolean(load_default=False)
    store_id = fields.UUID(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


UUID_LIST = r"^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36}){0,99}$"


class LabelsQuery(Schema):
    item_ids = fields.String(required=True, validate=validate.Regexp(
        UUID_LIST, error="1 to 100 piece ids, separated by commas"),
        metadata={"description": "the pieces' ids, separated by commas (at most 100)"})


class StoreQuery(Schema):
    store_id = fields.UUID(load_default=None, allow_none=True)


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True)


def _query(request):
    return request.args.to_dict()


def _wire(params):
    """Validated query values as JSON for an RPC (ids as text, no unset ones)."""
    return {k: (str(v) if isinstance(v, uuid.UUID) else v)
            for k, v in params.items() if v is not None}


def _store(request):
    value = request.params.get("store_id")
    return str(value) if value else None


class InventoryRoutes:
    # pieces -----------------------------------------------------------------------

    @route("POST", "/items", roles=MANAGERS, body=schemas.ReceiveItem,
           response=schemas.Item, status=201, idempotent=True)
    def receive_item(self, request):
        """Receive a piece: it gets a unique scannable ``tag`` and is ``in_stock``.

        Certificates are unique per lab across the chain (a second piece with
        the same GIA number is 409). ``item.received`` goes out.
        """
        item = self.inventory.receive_item(request.json_body)
        request.audit.update(entity_id=item["id"], store_id=item["store_id"])
        return item

    @route("GET", "/items", roles=ANY_STAFF, query=schemas.SearchFilters, response=ItemPage)
    def search_items(self, request):
        """Search pieces by store, status, category, metal, karat, carat and price
        ranges and free text (description, tag, certificate number), newest first."""
        return self.inventory.search_items(_query(request))

    @route("GET", "/items/by-tag/{tag}", roles=ANY_STAFF, response=schemas.Item)
    def get_item_by_tag(self, request, tag):
        """One piece by the code on its tag (as scanned at the counter)."""
        return self.inventory.get_item_by_tag(tag)

    @route("GET", "/items/{id}", roles=ANY_STAFF, response=schemas.Item)
    def get_item(self, request, id):
        """One piece, with stones, status, location, history and price history."""
        return self.inventory.get_item(id)

    @route("PATCH", "/items/{id}", roles=MANAGERS, body=schemas.UpdateItem, response=schemas.Item)
    def update_item(self, request, id):
        """Change price, description or attributes; price changes are kept in history."""
        item = self.inventory.update_item(id, request.json_body)
        request.audit["store_id"] = item["store_id"]
        return item

    @route("GET", "/items/{id}/label.pdf", roles=ANY_STAFF)
    @produces(PDF)
    def item_label(self, request, id):
        """The printable tag label: Code 128 barcode, price, metal and carat."""
        pdf = base64.b64decode(self.inventory.tag_label(id))
        return Reply(pdf, content_type="application/pdf",
                     headers={"Content-Disposition": f'inline; filename="tag-{id}.pdf"'})

    @route("GET", "/labels.pdf", roles=ANY_STAFF, query=LabelsQuery)
    @produces(PDF)
    def item_labels(self, request):
        """Several pieces' tag labels as one PDF, a label-sized page each, in
        the order given: a receiving batch printed at once."""
        ids = request.params["item_ids"].split(",")
        pdf = base64.b64decode(self.inventory.tag_labels(ids))
        return Reply(pdf, content_type="application/pdf",
                     headers={"Content-Disposition": 'inline; filename="tags.pdf"'})

    @route("GET", "/items/{id}/label.zpl", roles=ANY_STAFF)
    @produces(ZPL)
    def item_label_zpl(self, request, id):
        """The tag label in ZPL II for a tag printer (60 x 25 mm at 203 dpi):
        Code 128 of the tag (``^BC``), price, metal and carat, description."""
        data = base64.b64decode(self.inventory.tag_label(id, "zpl"))
        return Reply(data, content_type=ZPL_TYPE,
                     headers={"Content-Disposition": f'attachment; filename="tag-{id}.zpl"'})

    @route("GET", "/labels.zpl", roles=ANY_STAFF, query=LabelsQuery)
    @produces(ZPL)
    def item_labels_zpl(self, request):
        """Several pieces' tag labels in ZPL II, one label format each, in the
        order given: send the body to the tag printer as it is."""
        ids = request.params["item_ids"].split(",")
        data = base64.b64decode(self.inventory.tag_labels(ids, "zpl"))
        return Reply(data, content_type=ZPL_TYPE,
                     headers={"Content-Disposition": 'attachment; filename="tags.zpl"'})

    # client holds -----------------------------------------------------------------

    @route("POST", "/items/{id}/reservations", roles=SELLERS, body=schemas.HoldRequest,
           response=views.Reservation, status=201, idempotent=True)
    def hold_item(self, request, id):
        """Hold a piece for a client (click and collect); it is released by
        itself when ``hold_hours`` have passed."""
        hold = self.inventory.hold_item(id, request.json_body)
        request.audit.update(entity_id=hold["id"], store_id=hold["store_id"])
        return hold

    @route("DELETE", "/reservations/{id}", roles=SELLERS, response=views.Reservation)
    def release_hold(self, request, id):
        """Release a client hold: the piece is back in stock."""
        hold = self.inventory.release_hold(id)
        request.audit["store_id"] = hold["store_id"]
        return hold

    @route("GET", "/holds", roles=ANY_STAFF, query=schemas.HoldQuery, response=views.HoldPage)
    def list_holds(self, request):
        """The pieces held now at your stores (or ``store_id``), by tag: for a
        client (``hold``), in a checkout (``sale``) or on a layaway."""
        return self.inventory.list_holds(_wire(request.params))

    # transfers ----------------------------------------------------------------------

    @route("GET", "/transfers", roles=ANY_STAFF, query=schemas.TransferQuery,
           response=views.TransferPage)
    def list_transfers(self, request):
        """Transfers of your stores (or ``store_id``), newest first; ``direction``
        ``in`` (coming) or ``out`` (leaving), ``status`` shipped or received."""
        return self.inventory.list_transfers(_wire(request.params))

    @route("POST", "/transfers", roles=MANAGERS, body=schemas.TransferRequest,
           response=views.Transfer, status=201, idempotent=True)
    def ship_transfer(self, request):
        """Send pieces to another store: they are ``in_transit`` until received."""
        transfer = self.inventory.ship_transfer(request.json_body)
        request.audit.update(entity_id=transfer["id"], store_id=transfer["from_store_id"])
        return transfer

    @route("POST", "/transfers/{id}/receive", roles=MANAGERS, response=views.Transfer,
           idempotent=True)
    def receive_transfer(self, request, id):
        """Receive a transfer at its destination: its pieces are ``in_stock`` there."""
        transfer = self.inventory.receive_transfer(id)
        request.audit["store_id"] = transfer["to_store_id"]
        return transfer

    # stock counts -------------------------------------------------------------------

    @route("POST", "/stock-counts", roles=SELLERS, body=schemas.StockCountRequest,
           response=views.StockCount, status=201, idempotent=True)
    def open_count(self, request):
        """Open a stock count of a store."""
        count = self.inventory.open_count(request.json_body)
        request.audit.update(entity_id=count["id"], store_id=count["store_id"])
        return count

    @route("GET", "/stock-counts", roles=ANY_STAFF, query=schemas.CountQuery,
           response=views.StockCountPage)
    def list_counts(self, request):
        """Stock counts of your stores (or ``store_id``), newest first;
        ``status=open`` finds the count under way."""
        return self.inventory.list_counts(_wire(request.params))

    @route("GET", "/stock-counts/{id}", roles=ANY_STAFF, response=views.OpenStockCount)
    def get_count(self, request, id):
        """One count; an open one as it stands: the tags scanned, the pieces not
        scanned yet (``missing``) and the tags that are not this store's
        pieces (``unexpected``)."""
        return self.inventory.get_count(id)

    @route("POST", "/stock-counts/{id}/scans", roles=SELLERS, body=schemas.ScanRequest,
           response=views.StockCount, idempotent=True)
    def scan_tags(self, request, id):
        """Record scanned tags (a batch; scanning a tag twice counts once)."""
        return self.inventory.scan_tags(id, request.json_body)

    @route("POST", "/stock-counts/{id}/close", roles=MANAGERS, body=schemas.CloseCountRequest,
           response=views.StockCount)
    def close_count(self, request, id):
        """Close a count: ``{matched, missing: [tags], unexpected: [tags]}``;
        with ``mark_missing`` the missing pieces become ``missing`` and their
        cost is the shrinkage."""
        count = self.inventory.close_count(id, request.json_body or {})
        request.audit["store_id"] = count["store_id"]
        return count

    # memos ----------------------------------------------------------------------------

    @route("POST", "/memos", roles=MANAGERS, body=schemas.MemoRequest, response=views.Memo,
           status=201, idempotent=True)
    def create_memo(self, request):
        """Goods on memo: ``out`` lends pieces (``on_memo_out``) until they come
        back; ``in`` records a vendor's goods and their return date."""
        memo = self.inventory.create_memo(request.json_body)
        request.audit.update(entity_id=memo["id"], store_id=memo["store_id"])
        return memo

    @route("GET", "/memos", roles=READERS, query=MemoQuery, response=views.MemoPage)
    def list_memos(self, request):
        """Memos by due date; ``overdue=true`` shows those past due."""
        p = request.params
        return self.inventory.list_memos(p["overdue"], _store(request), p["limit"], p["cursor"])

    @route("POST", "/memos/{id}/return", roles=MANAGERS, response=views.Memo)
    def return_memo(self, request, id):
        """Close a memo: lent pieces come back, vendor goods go back to the vendor."""
        memo = self.inventory.return_memo(id)
        request.audit["store_id"] = memo["store_id"]
        return memo

    # vendors and prices -------------------------------------------------------------------

    @route("POST", "/vendors", roles=MANAGERS, body=schemas.VendorRequest,
           response=views.Vendor, status=201, idempotent=True)
    def create_vendor(self, request):
        """A vendor pieces are bought from or held on memo for."""
        vendor = self.inventory.create_vendor(request.json_body)
        request.audit["entity_id"] = vendor["id"]
        return vendor

    @route("GET", "/vendors", roles=READERS, query=PageQuery, response=views.VendorPage)
    def list_vendors(self, request):
        """Vendors by name."""
        return self.inventory.list_vendors(request.params["limit"], request.params["cursor"])

    @route("PATCH", "/vendors/{id}", roles=MANAGERS, body=schemas.VendorChange,
           response=views.Vendor)
    def update_vendor(self, request, id):
        """Change a vendor's name or contact fields (``contact`` replaces them)."""
        return self.inventory.update_vendor(id, request.json_body)

    @route("POST", "/metal-prices", roles=MANAGERS, body=schemas.MetalPriceRequest,
           response=views.MetalPriceResult, status=201)
    def set_metal_price(self, request):
        """A new spot price per gram of pure metal. Pieces priced by weight are
        repriced; a change above the guard percentage waits for a manager
        (``GET /price-changes``) unless ``confirm`` is true."""
        return self.inventory.set_metal_price(request.json_body)

    @route("GET", "/metal-prices", roles=HQ, response=views.MetalPricePage)
    def list_metal_prices(self, request):
        """The last spot price set for each metal and currency, who set it and
        when: HQ's view of the chain. A store manager's price reprices only
        their own stores' pieces, so the list is not for another store to read."""
        return self.inventory.list_metal_prices()

    @route("GET", "/price-changes", roles=READERS, query=StoreQuery,
           response=views.PriceChangePage)
    def list_price_changes(self, request):
        """Repricings waiting for a manager's confirmation."""
        return self.inventory.list_price_changes(_store(request))

    @route("POST", "/price-changes/{id}/confirm", roles=MANAGERS, response=views.PriceChange)
    def confirm_price_change(self, request, id):
        """Apply a repricing above the guard."""
        return self.inventory.decide_price_change(id, True)

    @route("POST", "/price-changes/{id}/reject", roles=MANAGERS, response=views.PriceChange)
    def reject_price_change(self, request, id):
        """Keep the old price."""
        return self.inventory.decide_price_change(id, False)

    # reports ---------------------------------------------------------------------------

    @route("GET", "/reports/aging", roles=READERS, query=StoreQuery, response=AgingReport)
    def aging_report(self, request):
        """Pieces by days since received (0-90, 91-180, 181-365, 365+) per store,
        with their value at cost and at retail."""
        return self.inventory.aging_report(_store(request))

    @route("GET", "/reports/stock-value", roles=READERS, query=StoreQuery,
           response=StockValueReport)
    def stock_value_report(self, request):
        """Stock value at cost and retail per store; owned, memo and consignment apart."""
        return self.inventory.stock_value_report(_store(request))
