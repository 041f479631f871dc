"""What the manifest tests share: each test runs on every overlay rendered."""
import pytest

from . import k8s


@pytest.fixture(scope="module", params=k8s.OVERLAYS)
def overlay(request):
    return request.param


@pytest.fixture
def objects(overlay):
    return k8s.render(overlay)
