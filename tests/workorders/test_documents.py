"""Money on the printed documents as a person reads it (docs/ARCHITECTURE.md#rule-6):
the repair envelope and the appraisal of a job priced in currencies of 0, 2
and 3 decimals (ISO 4217), every amount checked as the page prints it."""
import base64

import pytest

import contracts
from services.workorders import documents

from .conftest import job, new_id, pdf_strings, store_event, wait_for
from .test_workflow import appraisal_data

# currency: (task prices, deposit, replacement value) in minor units, and
# what the page prints for (task 1, task 2, total, deposit, balance, replacement value)
CASES = {
    "JPY": ((150000, 8500), 50000, 1250000,
            ("¥150,000", "¥8,500", "¥158,500", "¥50,000", "¥108,500", "¥1,250,000")),
    "KRW": ((150000, 8500), 50000, 1250000,
            ("150,000 KRW", "8,500 KRW", "158,500 KRW", "50,000 KRW", "108,500 KRW",
             "1,250,000 KRW")),
    "KWD": ((1500, 250), 500, 1250000,
            ("KWD1.500", "KWD0.250", "KWD1.750", "KWD0.500", "KWD1.250", "KWD1,250.000")),
    "BHD": ((1500, 250), 500, 1250000,
            ("BHD1.500", "BHD0.250", "BHD1.750", "BHD0.500", "BHD1.250", "BHD1,250.000")),
    "HUF": ((1000000, 50), 250000, 125000000,
            ("HUF10,000.00", "HUF0.50", "HUF10,000.50", "HUF2,500.00", "HUF7,500.50",
             "HUF1,250,000.00")),
    "EUR": ((150050, 999), 50000, 1250000,
            ("€1,500.50", "€9.99", "€1,510.49", "€500.00", "€1,010.49", "€12,500.00")),
    "USD": ((150050, 999), 50000, 1250000,
            ("$1,500.50", "$9.99", "$1,510.49", "$500.00", "$1,010.49", "$12,500.00")),
}


def store_in(workorders, db, currency, country=None):
    """A store working in ``currency`` (in ``country`` when given), known to
    workorders from the gateway's event."""
    store_id, facts = new_id(), ({"country": country} if country else {})
    workorders.dispatch("gateway", "store.created", store_event(
        store_id, f"S{currency}{country or ''}", currency, "UTC", "+1 212 555 0100", **facts))
    wait_for(lambda: db.scalar("select count(*) from stores where id = :s", s=store_id) == 1,
             message=f"the {currency} store is known")
    return store_id


def deposit(workorders, store_id, wo_id, money):
    workorders.dispatch("payments", "payment.captured", contracts.build_envelope(
        "payment.captured", {"payment_id": new_id(), "store_id": store_id, "method": "cash",
                             "amount": money, "work_order_id": wo_id}, producer="payments"))


def deposited_job(hq, workorders, store_id, currency, prices, paid):
    """An appraisal job at the store with two priced tasks and a deposit."""
    first, second = prices
    wo = hq.workorders.create_work_order(job(store_id=store_id, kind="appraisal", tasks=[
        {"description": "Appraisal for insurance", "price": {"amount": first, "currency": currency}},
        {"description": "Clean and polish", "price": {"amount": second, "currency": currency}}]))
    deposit(workorders, store_id, wo["id"], {"amount": paid, "currency": currency})
    wait_for(lambda: hq.workorders.get_work_order(wo["id"])["deposits"]["amount"] == paid,
             message="the deposit is known")
    return wo


def envelope_of(hq, wo):
    return pdf_strings(base64.b64decode(hq.workorders.envelope_pdf(wo["id"])))


def appraised(hq, wo, value):
    """The job approved, appraised at ``value``: its appraisal document's strings."""
    hq.workorders.approve(wo["id"], {})
    hq.workorders.transition(wo["id"], {"stage": "in_progress"})
    hq.workorders.write_appraisal(wo["id"], appraisal_data(replacement_value=value))
    return appraisal_of(hq, wo)


def appraisal_of(hq, wo):
    return pdf_strings(base64.b64decode(hq.workorders.appraisal_pdf(wo["id"])))


def after(strings, label, count):
    """The ``count`` strings drawn after ``label`` on the page."""
    assert label in strings, strings
    start = strings.index(label) + 1
    return strings[start:start + count]


@pytest.mark.parametrize("currency", CASES)
def test_envelope_and_appraisal_print_amounts_in_the_jobs_currency(workorders, db, as_, currency):
    (first, second), paid, value, printed = CASES[currency]
    first_text, second_text, total_text, paid_text, balance_text, value_text = printed
    hq, store_id = as_(), store_in(workorders, db, currency)
    wo = deposited_job(hq, workorders, store_id, currency, (first, second), paid)

    envelope = envelope_of(hq, wo)
    assert after(envelope, "WORK", 10) == [
        "Appraisal for insurance", first_text, "Clean and polish", second_text,
        "Total", total_text, "Deposits", paid_text, "Balance due", balance_text]

    appraisal = appraised(hq, wo, {"amount": value, "currency": currency})
    assert after(appraisal, "Replacement value", 1) == [value_text]


def test_an_estimate_prints_instead_of_the_total(workorders, db, as_):
    hq, store_id = as_(), store_in(workorders, db, "JPY")
    wo = hq.workorders.create_work_order(job(store_id=store_id, kind="custom", tasks=[
        {"description": "Design and cast a pendant"}]))
    envelope = pdf_strings(base64.b64decode(hq.workorders.envelope_pdf(wo["id"])))
    assert after(envelope, "WORK", 6) == ["Design and cast a pendant", "to quote", "Total", "¥0",
                                          "Balance due", "¥0"]
    hq.workorders.estimate(wo["id"], {"amount": {"amount": 480000, "currency": "JPY"}})
    envelope = pdf_strings(base64.b64decode(hq.workorders.envelope_pdf(wo["id"])))
    assert after(envelope, "WORK", 6) == ["Design and cast a pendant", "to quote",
                                          "Estimate", "¥480,000", "Balance due", "¥480,000"]


APPRAISAL = {
    "number": "BUD-000001", "version": 1, "piece_description": "Gold signet ring",
    "metal": None, "stones": [], "appraised_on": "2026-12-01", "notes": "",
    "store": {"name": "BUD boutique"}, "owner": {"first_name": "Ada", "last_name": "Lovelace"},
    "appraiser": {"name": "Rosa Martinez"},
}


@pytest.mark.parametrize("value, locale, text", [
    ({"amount": 1000000, "currency": "HUF"}, "hu_HU", "10 000,00 Ft"),   # NBSP drawn as a space
    ({"amount": 150050, "currency": "EUR"}, "de_DE", "1.500,50 €"),
    ({"amount": 15000000, "currency": "JPY"}, "ja_JP", "¥15,000,000"),  # ￥ is not in the font
    ({"amount": 1500, "currency": "KWD"}, "ar_KW", "KWD1.500"),
])
def test_a_document_prints_in_the_locale_it_is_given(value, locale, text):
    pdf = documents.appraisal_pdf(APPRAISAL | {"replacement_value": value}, locale=locale)
    assert after(pdf_strings(pdf), "Replacement value", 1) == [text]


# the store's country: (currency, task prices, deposit, replacement value) and what the
# page prints for (task 1, task 2, total, deposit, balance, replacement value) in its locale
STORE_LOCALES = {
    "DE": ("EUR", (150050, 999), 50000, 1250000,
           ("1.500,50 €", "9,99 €", "1.510,49 €", "500,00 €", "1.010,49 €", "12.500,00 €")),
    "JP": ("JPY", (150000, 8500), 50000, 1250000,   # ja_JP's ￥ is not in the font: en_US's ¥
           ("¥150,000", "¥8,500", "¥158,500", "¥50,000", "¥108,500", "¥1,250,000")),
    "HU": ("HUF", (1000000, 50), 250000, 125000000,   # NBSP drawn as a space
           ("10 000,00 Ft", "0,50 Ft", "10 000,50 Ft", "2 500,00 Ft", "7 500,50 Ft",
            "1 250 000,00 Ft")),
    None: ("EUR", (150050, 999), 50000, 1250000,      # no country: en_US
           ("€1,500.50", "€9.99", "€1,510.49", "€500.00", "€1,010.49", "€12,500.00")),
}


@pytest.mark.parametrize("country", STORE_LOCALES)
def test_documents_print_money_in_the_locale_of_the_stores_country(workorders, db, as_, country):
    currency, prices, paid, value, printed = STORE_LOCALES[country]
    first_text, second_text, total_text, paid_text, balance_text, value_text = printed
    hq, store_id = as_(), store_in(workorders, db, currency, country)
    wo = deposited_job(hq, workorders, store_id, currency, prices, paid)
    assert hq.workorders.get_work_order(wo["id"])["store"]["country"] == country

    assert after(envelope_of(hq, wo), "WORK", 10) == [
        "Appraisal for insurance", first_text, "Clean and polish", second_text,
        "Total", total_text, "Deposits", paid_text, "Balance due", balance_text]
    appraisal = appraised(hq, wo, {"amount": value, "currency": currency})
    assert after(appraisal, "Replacement value", 1) == [value_text]


def test_a_store_given_its_country_prints_later_documents_in_its_locale(workorders, db, as_):
    hq, store_id = as_(), store_in(workorders, db, "EUR")
    wo = deposited_job(hq, workorders, store_id, "EUR", (150050, 999), 50000)
    appraisal = appraised(hq, wo, {"amount": 1250000, "currency": "EUR"})
    assert after(envelope_of(hq, wo), "Balance due", 1) == ["€1,010.49"]
    assert after(appraisal, "Replacement value", 1) == ["€12,500.00"]

    workorders.dispatch("gateway", "store.updated", store_event(
        store_id, "SEUR", "EUR", "Europe/Berlin", "+49 30 555 0100", "store.updated",
        country="de"))
    wait_for(lambda: db.scalar("select country from stores where id = :s", s=store_id) == "DE",
             message="the store's country is known")

    assert after(envelope_of(hq, wo), "WORK", 10) == [
        "Appraisal for insurance", "1.500,50 €", "Clean and polish", "9,99 €",
        "Total", "1.510,49 €", "Deposits", "500,00 €", "Balance due", "1.010,49 €"]
    # the appraisal written before prints again in the store's locale, its amount unchanged
    assert after(appraisal_of(hq, wo), "Replacement value", 1) == ["12.500,00 €"]
    later = hq.workorders.create_work_order(job(store_id=store_id, tasks=[
        {"description": "Polish", "price": {"amount": 1000, "currency": "EUR"}}]))
    assert after(envelope_of(hq, later), "WORK", 6) == [
        "Polish", "10,00 €", "Total", "10,00 €", "Balance due", "10,00 €"]
