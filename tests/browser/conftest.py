"""One chain of processes per test module (``CHAIN = {...}`` in the module
sets its options; see ``tests.support.e2e``)."""
from tests.support.e2e import chain, pytest_runtest_makereport  # noqa: F401
