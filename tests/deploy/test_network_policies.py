"""NetworkPolicies, evaluated as Kubernetes does: a service reaches only the
broker and its own database; only the gateway takes traffic from outside, and
only through the ingress controller."""
import pytest

from chassis.config import ALL_COMPONENTS, SERVICES
from tests.deploy import k8s

AMQP, MANAGEMENT, POSTGRES, HTTP, PROBES, DNS, HTTPS = 5672, 15672, 5432, 8000, 8080, 53, 443
SMTP, SUBMISSION, SMTPS, OTLP_HTTP, OTLP_GRPC = 25, 587, 465, 4318, 4317
# Stripe, Twilio and mail, the photo bucket
CALLS_OUT = {"payments", "notifications", "workorders", "gateway"}


@pytest.fixture(scope="module", params=k8s.OVERLAYS)
def world(request):
    overlay = request.param
    objects = k8s.render(overlay)
    namespace = k8s.NAMESPACE[overlay]
    pods = {}
    for kind in ("Deployment", "Job"):
        for workload in k8s.of_kind(objects, kind):
            labels = workload["spec"]["template"]["metadata"]["labels"]
            ports = {p["name"]: p["containerPort"] for c in k8s.pod_spec(workload)["containers"]
                     for p in c.get("ports", [])}
            pods[workload["metadata"]["name"]] = k8s.endpoint(namespace, labels, ports=ports)
    pods["broker"] = k8s.endpoint(namespace, k8s.BROKER_POD_LABELS)
    for component in ALL_COMPONENTS:
        pods[f"{component}-db"] = k8s.endpoint(namespace, k8s.db_pod_labels(component))
    pods["dns"] = k8s.endpoint("kube-system", {"k8s-app": "kube-dns"})
    pods["ingress-controller"] = k8s.endpoint(
        "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"})
    pods["stranger"] = k8s.endpoint("default", {"app": "something-else"})
    pods["collector"] = k8s.endpoint("observability", {"app.kubernetes.io/name": "otel-collector"})
    pods["internet"] = k8s.endpoint(ip="203.0.113.10")
    pods["private-host"] = k8s.endpoint(ip="10.20.30.40")
    return objects, pods


def can(world, source, target, port, protocol="TCP"):
    objects, pods = world
    return k8s.connection_allowed(objects, pods[source], pods[target], port, protocol)


@pytest.mark.parametrize("component", ALL_COMPONENTS)
def test_reaches_its_database_the_broker_and_dns(world, component):
    for pod in (component, f"{component}-migrate"):
        assert can(world, pod, f"{component}-db", POSTGRES)
        assert can(world, pod, "dns", DNS, "UDP") and can(world, pod, "dns", DNS, "TCP")
    assert can(world, component, "broker", AMQP)


@pytest.mark.parametrize("component", ALL_COMPONENTS)
def test_reaches_nothing_else(world, component):
    for other in ALL_COMPONENTS:
        if other != component:
            assert not can(world, component, f"{other}-db", POSTGRES), other
            assert not can(world, component, other, HTTP), other
            assert not can(world, component, other, PROBES), other
    assert not can(world, component, "broker", MANAGEMENT)
    assert not can(world, component, f"{component}-db", 8000), "only PostgreSQL's port"
    assert not can(world, component, "stranger", 80)
    assert not can(world, component, "private-host", HTTPS)
    assert can(world, component, "internet", HTTPS) == (component in CALLS_OUT)
    assert not can(world, component, "internet", 80)
    assert not can(world, component, "internet", SMTP), "mail leaves only by submission"
    assert can(world, component, "internet", SUBMISSION) == (component == "notifications")
    assert can(world, component, "internet", SMTPS) == (component == "notifications")
    assert not can(world, component, "private-host", SUBMISSION)
    assert not can(world, component, "collector", OTLP_GRPC), "only the receiver's OTLP/HTTP port"
    assert not can(world, component, "stranger", OTLP_HTTP)


@pytest.mark.parametrize("component", ALL_COMPONENTS)
def test_sends_traces_to_the_collector(world, component):
    assert can(world, component, "collector", OTLP_HTTP)
    assert not can(world, f"{component}-migrate", "collector", OTLP_HTTP), "Jobs trace nothing"


def test_only_the_gateway_takes_traffic_and_only_from_the_ingress_controller(world):
    assert can(world, "ingress-controller", "gateway", HTTP)
    assert not can(world, "ingress-controller", "gateway", PROBES)
    for source in ("stranger", "internet", *SERVICES):
        assert not can(world, source, "gateway", HTTP), source
    for service in SERVICES:
        for source in ("ingress-controller", "stranger", "internet", "gateway"):
            assert not can(world, source, service, PROBES), (source, service)


def test_every_pod_of_the_chain_is_isolated_by_default(world):
    objects, pods = world
    deny = k8s.one(objects, "NetworkPolicy", "default-deny")
    for name, pod in pods.items():
        selected = k8s._selects(deny["spec"]["podSelector"], pod["labels"])
        chain_pod = name in ALL_COMPONENTS or name.endswith("-migrate")
        assert selected == chain_pod, name
