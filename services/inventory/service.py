"""Inventory service: entrypoints only; the rules are in ``domain``."""
from nameko.rpc import rpc

from chassis.events import event_handler
from chassis.service import ServiceBase
from chassis.validation import load, uuid_arg
from contracts.rpc.inventory import ReceiveItem

from . import domain

_receive_item = ReceiveItem()


class Service(ServiceBase):
    name = "inventory"

    @rpc
    def receive_item(self, data):
        data = load(_receive_item, data)
        with self.db.transaction() as session:
            return domain.receive_item(session, self.caller, data)

    @rpc
    def get_item(self, item_id):
        item_id = uuid_arg(item_id, "item_id")
        with self.db.transaction() as session:
            return domain.get_item(session, self.caller, item_id)

    @rpc
    def get_item_by_tag(self, tag):
        with self.db.transaction() as session:
            return domain.get_item_by_tag(session, self.caller, str(tag))

    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            domain.record_store(session, event["payload"])

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            domain.record_store(session, event["payload"])
