"""The password policy (issue 17), for every place a password is set (``POST
/users`` and ``gateway.create_admin``, both through ``schemas.UserCreate``):
at least ``MIN_LENGTH`` characters, not only whitespace, not containing the
username (case-insensitive), and not one of the common passwords in
``common_passwords.txt.gz`` (compared lower-case, surrounding spaces
ignored): over 150,000 of them, made by ``scripts/common_passwords.py``.
The list is read once, the first time a password is checked."""
import gzip
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
COMMON_FILE = Path(__file__).with_name("common_passwords.txt.gz")


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_FILE, "rt", encoding="utf-8") as source:
        return frozenset(line.rstrip("\n") for line in source
                         if line.strip() and not line.startswith("#"))


def problems(password, username=None):
    """Why ``password`` is refused (empty list: it is not)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"must be at least {MIN_LENGTH} characters long")
    if not password.strip():
        found.append("must not be only whitespace")
    if username and username.strip() and username.strip().lower() in password.lower():
        found.append("must not contain the username")
    if password.strip().lower() in common_passwords():
        found.append("is one of the most common passwords")
    return found
