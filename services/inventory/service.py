"""Inventory service (docs/API.md#inventory): entrypoints only; the rules
are in plain modules of one topic each (items, sales, holds, transfers,
counts, memos, metal_prices, search, reports, stores)."""
import base64

from nameko.timer import timer

from chassis.clock import instant
from chassis.display import locale_for
from chassis.errors import InvalidInput
from chassis.events import event_handler
from chassis.identity import Identity
from chassis.service import ServiceBase, rpc
from chassis.settings import SettingsProvider
from chassis.validation import int_arg, load, uuid_arg
from contracts.rpc import inventory as schemas

from . import counts, holds, items, labels, memos, metal_prices, reports, sales, search, stores, transfers, zpl
from .settings import load as load_settings

_receive = schemas.ReceiveItem()
_update = schemas.UpdateItem()
_hold = schemas.HoldRequest()
_transfer = schemas.TransferRequest()
_count = schemas.StockCountRequest()
_scan = schemas.ScanRequest()
_close = schemas.CloseCountRequest()
_memo = schemas.MemoRequest()
_metal = schemas.MetalPriceRequest()
_vendor = schemas.VendorRequest()
_search = schemas.SearchFilters()
_vendor_change = schemas.VendorChange()
_transfers = schemas.TransferQuery()
_holds = schemas.HoldQuery()
_counts = schemas.CountQuery()


def _instant(value, field):
    try:
        return instant(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field}: an ISO 8601 instant",
                           {field: ["an ISO 8601 instant, e.g. 2026-01-01T12:00:00Z"]}) from None


def _ids(values, field="item_ids"):
    if not isinstance(values, (list, tuple)):
        raise InvalidInput("a list of ids is required", {field: ["a list of ids is required"]})
    return [uuid_arg(v, field) for v in values]


class Service(ServiceBase):
    name = "inventory"
    settings = SettingsProvider(load_settings)

    # pieces
    @rpc
    def receive_item(self, data):
        data = load(_receive, data)
        with self.db.transaction() as session:
            return items.receive_item(session, self.caller, data)

    @rpc
    def get_item(self, item_id):
        item_id = uuid_arg(item_id, "item_id")
        with self.db.read() as session:
            return items.get_item(session, self.caller, item_id)

    @rpc
    def get_item_by_tag(self, tag):
        with self.db.read() as session:
            return items.get_item_by_tag(session, self.caller, str(tag))

    @rpc
    def get_items(self, item_ids):
        with self.db.read() as session:
            return items.get_items(session, self.caller, _ids(item_ids))

    @rpc
    def update_item(self, item_id, data):
        item_id, data = uuid_arg(item_id, "item_id"), load(_update, data)
        with self.db.transaction() as session:
            return items.update_item(session, self.caller, item_id, data)

    @rpc
    def search_items(self, filters):
        filters = load(_search, filters or {})
        with self.db.transaction() as session:
            return search.search_items(session, self.caller, filters)

    @rpc
    def search_chain(self, filters):
        """Chain-wide availability: every store's pieces; another store's
        without cost, vendor, pricing or history."""
        filters = load(_search, filters or {})
        with self.db.transaction() as session:
            return search.search_items(session, self.caller, filters, scope="chain")

    @rpc
    def snapshot_items(self, cursor=None, limit=500):
        """Every piece in id order (read-only), to rebuild HQ's read model."""
        with self.db.transaction() as session:
            return search.snapshot_items(session, self.caller, cursor,
                                         int_arg(limit or 500, "limit", 1))

    @rpc
    def tag_label(self, item_id, fmt="pdf"):
        """One piece's tag label, base64: a PDF, or ZPL (``fmt="zpl"``)."""
        return self.tag_labels([item_id], fmt)

    @rpc
    def tag_labels(self, item_ids, fmt="pdf"):
        """Several pieces' tag labels as one PDF (or one ZPL stream), base64,
        in the order given (a piece the caller may not see: NotFound, as for
        one label)."""
        if fmt not in labels.FORMATS:
            raise InvalidInput("no such label format", {"format": [", ".join(labels.FORMATS)]})
        item_ids = _ids(item_ids)
        if not 1 <= len(item_ids) <= labels.MAX_BATCH:
            message = f"between 1 and {labels.MAX_BATCH} pieces"
            raise InvalidInput(message, {"item_ids": [message]})
        with self.db.read() as session:
            labelled = [items.get_for_label(session, self.caller, i) for i in item_ids]
        render = zpl.labels_zpl if fmt == "zpl" else labels.tag_labels_pdf
        data = render([(item, locale_for(country)) for item, country in labelled])
        return base64.b64encode(data).decode()

    # vendors
    @rpc
    def create_vendor(self, data):
        data = load(_vendor, data)
        with self.db.transaction() as session:
            return stores.create_vendor(session, self.caller, data)

    @rpc
    def list_vendors(self, limit=50, cursor=None):
        with self.db.transaction() as session:
            return stores.list_vendors(session, self.caller, int_arg(limit, "limit", 1, 200), cursor)

    @rpc
    def update_vendor(self, vendor_id, data):
        vendor_id, data = uuid_arg(vendor_id, "vendor_id"), load(_vendor_change, data)
        with self.db.transaction() as session:
            return stores.update_vendor(session, self.caller, vendor_id, data)

    # sales (called by payments)
    @rpc
    def reserve_for_sale(self, sale_id, item_ids, store_id=None, reason="sale", deadline=None):
        """``deadline``: an ISO instant, when the caller stops waiting for the
        answer; a call that arrives (or would commit) later holds nothing (409)."""
        sale_id, item_ids = uuid_arg(sale_id, "sale_id"), _ids(item_ids)
        store_id = uuid_arg(store_id, "store_id") if store_id else None
        deadline = _instant(deadline, "deadline") if deadline else None
        with self.db.transaction() as session:
            return sales.reserve_for_sale(session, self.caller, sale_id, item_ids, store_id,
                                           reason if reason in ("sale", "layaway") else "sale",
                                           deadline, self.settings.sale_hold_minutes)

    @rpc
    def confirm_sale(self, sale_id):
        sale_id = uuid_arg(sale_id, "sale_id")
        with self.db.transaction() as session:
            return sales.confirm_sale(session, self.caller, sale_id)

    @rpc
    def keep_hold(self, sale_id):
        """An opened layaway's pieces stay held until it is paid or cancelled."""
        sale_id = uuid_arg(sale_id, "sale_id")
        with self.db.transaction() as session:
            return sales.keep_hold(session, self.caller, sale_id)

    @timer(interval=60)
    def expire_sale_holds(self):
        with self.db.transaction() as session:
            sales.expire_sale_holds(session, self.caller)

    @rpc
    def release(self, sale_id):
        sale_id = uuid_arg(sale_id, "sale_id")
        with self.db.transaction() as session:
            return sales.release(session, self.caller, sale_id)

    @rpc
    def return_to_stock(self, item_ids, sale_id=None):
        sale_id = uuid_arg(sale_id, "sale_id") if sale_id else None
        with self.db.transaction() as session:
            return sales.return_to_stock(session, self.caller, _ids(item_ids), sale_id)

    # client holds
    @rpc
    def hold_item(self, item_id, data):
        item_id, data = uuid_arg(item_id, "item_id"), load(_hold, data)
        with self.db.transaction() as session:
            return holds.hold_for_client(session, self.caller, item_id, data["client_id"],
                                          data["hold_hours"])

    @rpc
    def release_hold(self, reservation_id):
        reservation_id = uuid_arg(reservation_id, "reservation_id")
        with self.db.transaction() as session:
            return holds.release_hold(session, self.caller, reservation_id)

    @rpc
    def list_holds(self, query=None):
        query = load(_holds, query or {})
        with self.db.read() as session:
            return holds.list_holds(session, self.caller, query)

    @timer(interval=60)
    def expire_holds(self):
        with self.db.transaction() as session:
            holds.expire_holds(session, self.caller)

    # transfers
    @rpc
    def ship_transfer(self, data):
        data = load(_transfer, data)
        with self.db.transaction() as session:
            return transfers.ship_transfer(session, self.caller, data)

    @rpc
    def receive_transfer(self, transfer_id):
        transfer_id = uuid_arg(transfer_id, "transfer_id")
        with self.db.transaction() as session:
            return transfers.receive_transfer(session, self.caller, transfer_id)

    @rpc
    def list_transfers(self, query=None):
        query = load(_transfers, query or {})
        with self.db.read() as session:
            return transfers.list_transfers(session, self.caller, query)

    # stock counts
    @rpc
    def list_counts(self, query=None):
        query = load(_counts, query or {})
        with self.db.transaction() as session:
            return counts.list_counts(session, self.caller, query)

    @rpc
    def get_count(self, count_id):
        count_id = uuid_arg(count_id, "count_id")
        with self.db.transaction() as session:
            return counts.get_count(session, self.caller, count_id)

    @rpc
    def open_count(self, data):
        data = load(_count, data)
        with self.db.transaction() as session:
            return counts.open_count(session, self.caller, data["store_id"])

    @rpc
    def scan_tags(self, count_id, data):
        count_id, data = uuid_arg(count_id, "count_id"), load(_scan, data)
        with self.db.transaction() as session:
            return counts.scan_tags(session, self.caller, count_id, data["tags"])

    @rpc
    def close_count(self, count_id, data=None):
        count_id, data = uuid_arg(count_id, "count_id"), load(_close, data or {})
        with self.db.transaction() as session:
            return counts.close_count(session, self.caller, count_id, data["mark_missing"])

    # memos
    @rpc
    def create_memo(self, data):
        data = load(_memo, data)
        with self.db.transaction() as session:
            return memos.create_memo(session, self.caller, data)

    @rpc
    def return_memo(self, memo_id):
        memo_id = uuid_arg(memo_id, "memo_id")
        with self.db.transaction() as session:
            return memos.return_memo(session, self.caller, memo_id)

    @rpc
    def list_memos(self, overdue=False, store_id=None, limit=50, cursor=None):
        store_id = uuid_arg(store_id, "store_id") if store_id else None
        with self.db.transaction() as session:
            return memos.list_memos(session, self.caller, bool(overdue), store_id,
                                   int_arg(limit, "limit", 1, 200), cursor)

    @timer(interval=3600)
    def overdue_memos(self):
        with self.db.transaction() as session:
            memos.publish_overdue_memos(session)

    # metal prices
    @rpc
    def set_metal_price(self, data):
        data = load(_metal, data)
        return metal_prices.set_metal_price(self.db.transaction, self.caller, data,
                                            self.settings.price_guard_percent,
                                            self.settings.reprice_batch_size)

    @rpc
    def list_metal_prices(self):
        with self.db.transaction() as session:
            return metal_prices.list_metal_prices(session)

    @rpc
    def list_price_changes(self, store_id=None):
        store_id = uuid_arg(store_id, "store_id") if store_id else None
        with self.db.transaction() as session:
            return metal_prices.list_price_changes(session, self.caller, store_id)

    @rpc
    def decide_price_change(self, request_id, approve):
        request_id = uuid_arg(request_id, "request_id")
        with self.db.transaction() as session:
            return metal_prices.decide_price_change(session, self.caller, request_id, bool(approve))

    # reports
    @rpc
    def aging_report(self, store_id=None):
        store_id = uuid_arg(store_id, "store_id") if store_id else None
        with self.db.transaction() as session:
            return reports.aging_report(session, self.caller, store_id)

    @rpc
    def stock_value_report(self, store_id=None):
        store_id = uuid_arg(store_id, "store_id") if store_id else None
        with self.db.transaction() as session:
            return reports.stock_value_report(session, self.caller, store_id)

    # a layaway cancelled in payments: its pieces back in stock, even when the
    # cancel's own release call was lost (the outbox delivers this; idempotent)
    @event_handler("payments", "layaway.cancelled")
    def on_layaway_cancelled(self, event):
        with self.db.inbox(event) as session:
            sales.release(session, Identity.of_event(event), str(event.payload["layaway_id"]))

    # store facts from the gateway
    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            stores.record_store(session, event.payload)

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            stores.record_store(session, event.payload)
