"""One chain of processes per test module (``CHAIN = {...}`` in the module
sets its options; see ``tests.support.e2e``), healed before each fault test."""
import pytest

from tests.support.e2e import chain, pytest_runtest_makereport  # noqa: F401


@pytest.fixture(autouse=True)
def healthy(chain):  # noqa: F811
    """Each fault test starts from a whole chain, whatever the last one broke."""
    revived = chain.heal()
    if revived:
        print(f"restarted before this test: {', '.join(revived)}")
    yield
