"""Every service migrates its own database, starts, and answers health."""
import pytest

from chassis import components
from chassis.config import SERVICES


@pytest.mark.parametrize("component", SERVICES)
def test_service_migrates_starts_and_answers_health(component, start_service, rpc_client):
    start_service(components.service_class(component))
    assert rpc_client()[component].health() == {"status": "up", "service": component}
