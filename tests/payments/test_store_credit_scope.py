"""A client's store credit is part of the full profile (issue 17,
docs/ARCHITECTURE.md#rule-7): payments answers ``get_store_credit`` only
when crm's ``client_scope`` says the caller sees the client in full; any
other caller is told the client "simply is not found"."""
import pytest
from nameko.standalone.events import event_dispatcher

from chassis.db import Db as ChassisDb, make_engine
from chassis.errors import NotFound
from services.crm.service import Service as Crm
from services.payments import tenders
from services.payments.service import Service as Payments
from tests.conftest import wait_for

from .conftest import (
    API_KEY,
    ASSOCIATE_A,
    ASSOCIATE_B,
    CLIENT,
    HQ,
    MANAGER_A,
    STORE_A,
    STORES,
    WEBHOOK_SECRET,
    Db,
    store_event,
    usd,
)
from .fakes import FakeCrm


def _credit(database_url, client_id, amount, ref):
    engine = make_engine(database_url, pool_size=1)
    try:
        with ChassisDb(engine, "payments", MANAGER_A).transaction() as session:
            tenders.credit(session, MANAGER_A, client_id, "USD", amount, ref, STORE_A)
    finally:
        engine.dispose()


def test_crm_answer_decides_full_gets_balances_other_is_not_found(platform, as_):
    _credit(platform.database_url, CLIENT, 12500, "test:scope-fake")
    assert as_(ASSOCIATE_A).payments.get_store_credit(CLIENT)["balances"] == [usd(12500)]
    assert ("scope", CLIENT) in FakeCrm.calls
    FakeCrm.hidden.add(CLIENT)
    with pytest.raises(NotFound) as err:
        as_(ASSOCIATE_B).payments.get_store_credit(CLIENT)
    assert "no such client" in str(err.value)


@pytest.fixture
def with_real_crm(dispose_engines, start_service, proxy, rabbit_config):
    """payments beside the REAL crm (inventory and workorders absent: the
    store-credit read calls neither)."""
    crm = start_service(Crm)
    payments = start_service(Payments, STRIPE_API_KEY=API_KEY, STRIPE_API_BASE=proxy.url,
                             STRIPE_TIMEOUT=2, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                             DB_POOL_SIZE=2)
    dispose_engines += [crm, payments]
    cdb, pdb = Db(crm.database_url), Db(payments.database_url)
    dispatch = event_dispatcher()
    for facts in STORES:
        dispatch("gateway", "store.created", store_event(*facts))
    wait_for(lambda: cdb.scalar("select count(*) from stores") == 3
             and pdb.scalar("select count(*) from stores") == 3, message="stores recorded")
    yield payments
    cdb.engine.dispose()
    pdb.engine.dispose()


def test_store_credit_with_the_real_crm_for_hq_and_the_home_store_only(with_real_crm, as_):
    client = as_(ASSOCIATE_A).crm.create_client({
        "first_name": "Ada", "last_name": "Lovelace", "phone": "(212) 555-0199",
        "home_store_id": STORE_A, "consent": {"sms": False, "email": False, "source": "counter"}})
    _credit(with_real_crm.database_url, client["id"], 4000, "test:scope-real")
    assert as_(ASSOCIATE_A).payments.get_store_credit(client["id"])["balances"] == [usd(4000)]
    assert as_(HQ).payments.get_store_credit(client["id"])["balances"] == [usd(4000)]
    with pytest.raises(NotFound) as err:
        as_(ASSOCIATE_B).payments.get_store_credit(client["id"])
    assert "no such client" in str(err.value)
