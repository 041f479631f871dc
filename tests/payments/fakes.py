"""Neighbours not built yet, as tiny nameko services with their names and
the RPCs payments calls (tests only). State is kept on the class and reset
by the fixtures."""
from nameko.rpc import rpc

from chassis.errors import Conflict, NotFound


class FakeCrm:
    name = "crm"
    points = {}        # client_id -> balance
    redeemed = {}      # sale_id -> points
    refunded = set()   # sale ids given back
    calls = []
    hidden = set()     # client ids the caller does not see in full

    @rpc
    def client_scope(self, client_id):
        FakeCrm.calls.append(("scope", client_id))
        return {"client_id": client_id, "full": client_id not in FakeCrm.hidden}

    @rpc
    def redeem_points(self, client_id, sale_id, points):
        FakeCrm.calls.append(("redeem", client_id, sale_id, points))
        if sale_id in FakeCrm.redeemed:
            return {"client_id": client_id, "sale_id": sale_id, "points": FakeCrm.redeemed[sale_id]}
        if sale_id in FakeCrm.refunded:
            raise Conflict("the sale's points were given back")
        if FakeCrm.points.get(client_id, 0) < points:
            raise Conflict(f"not enough points: {FakeCrm.points.get(client_id, 0)} available")
        FakeCrm.points[client_id] -= points
        FakeCrm.redeemed[sale_id] = points
        return {"client_id": client_id, "sale_id": sale_id, "points": points,
                "balance": FakeCrm.points[client_id]}

    @rpc
    def refund_points(self, client_id, sale_id):
        FakeCrm.calls.append(("refund", client_id, sale_id))
        if sale_id not in FakeCrm.refunded:
            FakeCrm.refunded.add(sale_id)
            FakeCrm.points[client_id] = FakeCrm.points.get(client_id, 0) + FakeCrm.redeemed.get(sale_id, 0)
        return {"client_id": client_id, "sale_id": sale_id, "balance": FakeCrm.points[client_id]}

    @classmethod
    def reset(cls):
        cls.points, cls.redeemed, cls.refunded, cls.calls, cls.hidden = {}, {}, set(), [], set()


class FakeWorkorders:
    name = "workorders"
    orders = {}        # work_order_id -> {store_id, client_id, balance[, total, deposits]}
    paid = []
    amounts = []       # what each mark_paid said the sale collected

    @rpc
    def balance_due(self, work_order_id):
        order = FakeWorkorders.orders.get(work_order_id)
        if order is None:
            raise NotFound("no such work order")
        # as workorders answers: the total, what sales paid, and its copy of the deposits
        # (which may lag: ``deposits`` set apart from the balance)
        currency = order["balance"]["currency"]
        total = order.get("total") or {"amount": order["balance"]["amount"] + order.get(
            "deposits", {"amount": 0})["amount"], "currency": currency}
        return {"work_order_id": work_order_id, "number": "WO-1", "total": total,
                "paid": {"amount": 0, "currency": currency}, "stage": "in_progress", **order}

    @rpc
    def mark_paid(self, work_order_id, sale_id, amount=None):
        FakeWorkorders.paid.append((work_order_id, sale_id))
        FakeWorkorders.amounts.append(amount)
        return {"work_order_id": work_order_id, "sale_id": sale_id}

    @classmethod
    def reset(cls):
        cls.orders, cls.paid, cls.amounts = {}, [], []
