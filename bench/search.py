"""Search over the seeded chain, through the inventory service's RPC."""
import random

from scripts.seed_large import store_id

from .stats import drive


def filter_mix(stores, seed=11):
    rnd = random.Random(seed)
    cats = ["ring", "necklace", "bracelet", "earrings", "pendant", "watch"]
    words = ["halo", "tennis", "vintage", "solitaire", "hoop", "signet", "pearl"]
    mix = []
    for _ in range(200):
        kind = rnd.randrange(6)
        if kind == 0:
            f = {"store_id": store_id(rnd.randrange(stores)), "status": "in_stock"}
        elif kind == 1:
            f = {"category": rnd.choice(cats), "metal_type": "gold", "karat": rnd.choice([14, 18]),
                 "min_price": 100000, "max_price": 800000, "status": "in_stock"}
        elif kind == 2:
            lo = rnd.choice([0.5, 1, 1.5, 2])
            f = {"min_carat": str(lo), "max_carat": str(lo + 1), "status": "in_stock"}
        elif kind == 3:
            f = {"q": rnd.choice(words), "status": "in_stock"}
        elif kind == 4:
            f = {"store_id": store_id(rnd.randrange(stores)), "q": rnd.choice(words)}
        else:
            f = {"store_id": store_id(rnd.randrange(stores)), "category": rnd.choice(cats)}
        mix.append(f)
    return mix


def search(pool, stores=500, concurrency=4, duration=10.0):
    mix = filter_mix(stores)
    return drive("inventory search (1st page, filtered mix) via RPC",
                 lambda i: pool.call("inventory", "search_items", mix[i % len(mix)]),
                 concurrency, duration=duration)
