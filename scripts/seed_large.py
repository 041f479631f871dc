"""Seed a chain-sized inventory straight into the inventory database.

    python -m scripts.seed_large --stores 500 --items 1000000

For measuring search at chain scale (``make seed-large``, ``make bench``):
rows are written with COPY, in the shape the inventory service writes them,
so the service's own queries and indexes are what gets measured. Stores get
ids derived from their number, so a second run adds only what is missing.
"""
import argparse
import io
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg

from chassis import config

CATEGORIES = ["ring", "necklace", "bracelet", "earrings", "pendant", "watch", "loose_stone", "other"]
METALS = [("gold", 14), ("gold", 18), ("gold", 10), ("gold", 22), ("platinum", None),
          ("silver", None), ("palladium", None)]
COLORS = ["yellow", "white", "rose"]
WORDS = ["solitaire", "halo", "eternity", "tennis", "pave", "vintage", "art deco", "cluster",
         "three-stone", "bezel", "cathedral", "twisted", "rope", "cuban", "signet", "hoop",
         "drop", "stud", "cocktail", "bridal", "emerald", "sapphire", "ruby", "diamond", "pearl"]


def store_id(n):
    return str(uuid.UUID(int=(0x5E00 << 112) | n))


def plain_url(url):
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed(url, stores, items, seed_value=7, batch=100_000, store_ids=None, prefix="Z",
         status_weights=(80, 18, 2), price_range=(5_000, 5_000_000)):
    """Pieces spread over ``stores`` stores. With ``store_ids`` the stores exist
    already (made through the gateway); otherwise numbered stores are added."""
    rnd = random.Random(seed_value)
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        if store_ids is None:
            for n in range(stores):
                conn.execute(
                    "INSERT INTO stores (id, code, name, currency, timezone, tax_rate_bps) "
                    "VALUES (%s, %s, %s, 'USD', 'America/New_York', 800) ON CONFLICT (id) DO NOTHING",
                    (store_id(n), f"S{n:03d}", f"Store {n:03d}"))
            store_ids = [store_id(n) for n in range(stores)]
        stores = len(store_ids)
        have = conn.execute("SELECT count(*) FROM items WHERE tag LIKE %s", (prefix + "%",)).fetchone()[0]
        todo = max(0, items - have)
        print(f"seed: {stores} stores, {have} seeded pieces present, adding {todo}")
        began = time.monotonic()
        now = datetime.now(timezone.utc)
        done = 0
        while done < todo:
            n = min(batch, todo - done)
            buf = io.StringIO()
            for i in range(n):
                k = have + done + i
                tag = prefix + format(k, "07X")  # unique, printable, apart from real tags
                category = rnd.choice(CATEGORIES)
                metal, karat = rnd.choice(METALS)
                desc = f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} {category}"
                carat = "" if rnd.random() < 0.4 else f"{rnd.uniform(0.05, 5):.3f}"
                price = rnd.randint(*price_range)
                days = rnd.randint(0, 900)
                cols = [
                    str(uuid.uuid4()), tag,
                    store_ids[k % stores], category, desc,
                    "" if category == "loose_stone" else metal,
                    "" if category == "loose_stone" or karat is None else str(karat),
                    rnd.choice(COLORS), f"{rnd.uniform(0.5, 40):.3f}", carat, "USD",
                    str(price // 3), str(price), "owned",
                    rnd.choices(["in_stock", "sold", "reserved"], status_weights)[0],
                    f"{tag} {desc}".lower(), (now - timedelta(days=days)).isoformat(),
                ]
                buf.write("\t".join(c if c != "" else "\\N" for c in cols) + "\n")
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY items (id, tag, store_id, category, description, metal_type, karat, "
                    "metal_color, weight_g, total_carat, currency, cost_amount, price_amount, "
                    "ownership, status, search_text, received_at) FROM STDIN"
                ) as copy:
                    copy.write(buf.getvalue())
            done += n
            print(f"seed: {have + done} pieces ({time.monotonic() - began:.0f}s)", flush=True)
        conn.execute("ANALYZE items")
    return todo


FIRST = ["Ada", "Grace", "Maya", "Noor", "Lena", "Ravi", "Omar", "Ines", "Yuki", "Tomas",
         "Ava", "Leo", "Zara", "Hugo", "Mila", "Ezra", "Iris", "Kai", "Lucia", "Felix"]
LAST = ["Archer", "Baker", "Castillo", "Dubois", "Eriksen", "Fontaine", "Garcia", "Haddad",
        "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel",
        "Quinn", "Rossi", "Schmidt", "Tanaka", "Urquhart", "Vargas", "Weber", "Xu", "Young"]


def seed_clients(url, store_ids, count, seed_value=11, batch=50_000):
    """``count`` clients spread over the stores, straight into crm's database
    (COPY; the name, phone and tier indexes are what gets measured). Their
    last names end with a number (``Baker S0000042``); a second run adds only
    what is missing."""
    rnd = random.Random(seed_value)
    with psycopg.connect(plain_url(url), autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM clients WHERE created_by = 'seed'").fetchone()[0]
        todo = max(0, count - have)
        print(f"seed: {have} seeded clients present, adding {todo}")
        began, done = time.monotonic(), 0
        while done < todo:
            n = min(batch, todo - done)
            buf = io.StringIO()
            for i in range(n):
                k = have + done + i
                tier = rnd.choices(["new", "loyal", "vip"], (80, 17, 3))[0]
                cols = [str(uuid.uuid4()), rnd.choice(FIRST), f"{rnd.choice(LAST)} S{k:07d}",
                        f"+1646{k:07d}", store_ids[k % len(store_ids)], tier, "seed"]
                buf.write("\t".join(cols) + "\n")
            with conn.cursor() as cur:
                with cur.copy("COPY clients (id, first_name, last_name, phone, home_store_id, tier, "
                              "created_by) FROM STDIN") as copy:
                    copy.write(buf.getvalue())
            done += n
            print(f"seed: {have + done} clients ({time.monotonic() - began:.0f}s)", flush=True)
        conn.execute("ANALYZE clients")
    return todo


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--url", default=None, help="inventory database URL")
    args = parser.parse_args()
    seed(args.url or config.database_url("inventory"), args.stores, args.items)


if __name__ == "__main__":
    main()
