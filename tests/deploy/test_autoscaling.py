"""Autoscaling: each service follows its own queues, the gateway its CPU, the
holiday overlay raises the floor for the season only, and the databases have
room for every pod the autoscalers may start."""
import re
import uuid
from datetime import datetime, timezone

import pytest

from chassis.config import ALL_COMPONENTS, SERVICES
from tests.deploy import k8s

# the metadata KEDA's rabbitmq, cron and cpu scalers read (KEDA scaler docs)
KNOWN_METADATA = {
    "rabbitmq": {"host", "hostFromEnv", "protocol", "mode", "value", "activationValue",
                 "queueName", "vhostName", "useRegex", "pageSize", "operation", "timeout",
                 "excludeUnacknowledged", "unsafeSsl", "usernameFromEnv", "passwordFromEnv"},
    "cron": {"timezone", "start", "end", "desiredReplicas"},
    "cpu": {"value", "containerName"},
}


def scaled_object(objects, component):
    return k8s.one(objects, "ScaledObject", component)


def autoscalers(objects, component):
    found = [o for o in k8s.of_kind(objects, "ScaledObject")
             if o["spec"]["scaleTargetRef"]["name"] == component]
    found += [o for o in k8s.of_kind(objects, "HorizontalPodAutoscaler")
              if o["spec"]["scaleTargetRef"]["name"] == component]
    return found


def bounds(autoscaler):
    spec = autoscaler["spec"]
    if autoscaler["kind"] == "ScaledObject":
        return spec.get("minReplicaCount", 0), spec["maxReplicaCount"]
    return spec.get("minReplicas", 1), spec["maxReplicas"]


def test_every_component_has_exactly_one_autoscaler(overlay, objects):
    for component in ALL_COMPONENTS:
        found = autoscalers(objects, component)
        assert len(found) == 1, f"{component}: {[o['kind'] for o in found]}"
        assert found[0]["kind"] == "ScaledObject", "KEDA makes the HPA from it"
        low, high = bounds(found[0])
        # never to zero: an RPC with no consumer times out instead of waking one
        assert 1 <= low <= high, component
        if overlay != "dev":
            assert low >= 2, f"{component}: one pod is no redundancy"
        deployment = k8s.one(objects, "Deployment", component)
        assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"


def test_no_overlay_has_a_horizontal_pod_autoscaler(overlay, objects):
    """KEDA creates the HPA from each ScaledObject; one written beside it is a
    second autoscaler on the same Deployment (KEDA's webhook refuses it)."""
    assert k8s.of_kind(objects, "HorizontalPodAutoscaler") == []
    for deployment in k8s.of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        assert len(autoscalers(objects, name)) == 1, name


def test_switching_overlays_never_leaves_a_second_autoscaler():
    """`kubectl apply -k` does not delete what the new overlay lacks: every
    overlay must name the same autoscaler object for each Deployment, so a
    switch updates it in place (and holiday to production drops the season)."""
    names = {}
    for overlay in k8s.OVERLAYS:
        objects = k8s.render(overlay)
        names[overlay] = {(o["kind"], o["metadata"]["name"], o["spec"]["scaleTargetRef"]["name"])
                          for o in objects if o["kind"] in ("ScaledObject",
                                                            "HorizontalPodAutoscaler")}
    assert names["dev"] == names["production"] == names["holiday"]
    assert {target for _, _, target in names["production"]} == set(ALL_COMPONENTS)


def test_readme_asks_for_a_keda_that_reads_the_scaler_credentials():
    """KEDA's rabbitmq scaler takes `username`/`password` from a
    TriggerAuthentication only since 2.16; older ones scale on nothing."""
    readme = (k8s.K8S / "README.md").read_text()
    assert re.search(r"KEDA \((2\.16|≥ ?2\.16)\+?\)", readme), "state KEDA 2.16 or newer"
    params = {ref["parameter"] for auth in k8s.of_kind(k8s.render("production"),
                                                       "TriggerAuthentication")
              for ref in auth["spec"]["secretTargetRef"]}
    assert params == {"username", "password"}, "what needs KEDA 2.16"


def test_services_scale_on_their_own_queue_backlog(overlay, objects):
    auth_names = {o["metadata"]["name"] for o in k8s.of_kind(objects, "TriggerAuthentication")}
    for service in SERVICES:
        triggers = [t for t in scaled_object(objects, service)["spec"]["triggers"]
                    if t["type"] == "rabbitmq"]
        assert len(triggers) == 1, service
        trigger = triggers[0]
        meta = trigger["metadata"]
        assert set(meta) <= KNOWN_METADATA["rabbitmq"], set(meta) - KNOWN_METADATA["rabbitmq"]
        assert (meta["protocol"], meta["mode"], meta["useRegex"], meta["operation"]) == (
            "http", "QueueLength", "true", "sum")
        assert int(meta["value"]) > 0
        # KEDA runs in its own namespace: the management API by full name
        assert meta["host"] == f"http://chain-rabbitmq.{k8s.NAMESPACE[overlay]}.svc:15672/"
        assert meta["vhostName"] == "/"
        assert trigger["authenticationRef"]["name"] in auth_names


@pytest.mark.parametrize("service", SERVICES)
def test_queue_pattern_matches_exactly_the_queues_the_service_consumes(service):
    pattern = re.compile(next(t["metadata"]["queueName"] for t in scaled_object(
        k8s.render("production"), service)["spec"]["triggers"] if t["type"] == "rabbitmq"))
    own = k8s.consumed_queues(service)
    assert f"rpc-{service}" in own
    for queue in own:
        assert pattern.fullmatch(queue), f"{service} would not scale on {queue}"
    others = set().union(*(k8s.consumed_queues(c) for c in ALL_COMPONENTS if c != service))
    not_work = {f"{q}.retry.{ms}ms" for q in own for ms in (1000, 5000, 30000, 600000)}  # back-off
    not_work |= {f"{service}.dead-letters", f"rpc.reply-{service}-{uuid.uuid4()}"}
    for queue in others | not_work:
        assert not pattern.fullmatch(queue), f"{service} would scale on {queue}"


def test_the_gateway_consumes_no_event_so_cpu_is_all_its_load():
    """Work waiting in an event queue would never scale a CPU autoscaler:
    HQ's projections are the reporting service's, scaled on their backlog."""
    assert {q for q in k8s.consumed_queues("gateway") if not q.startswith("rpc-")} == set()
    assert any(q.startswith("evt-") for q in k8s.consumed_queues("reporting"))


def test_gateway_scales_on_cpu(overlay, objects):
    autoscaler, = autoscalers(objects, "gateway")
    assert autoscaler["kind"] == "ScaledObject"
    cpu = [t for t in autoscaler["spec"]["triggers"] if t["type"] == "cpu"]
    assert len(cpu) == 1 and cpu[0]["metricType"] == "Utilization"
    assert 0 < int(cpu[0]["metadata"]["value"]) <= 80
    # the rest is the season's floor, in the holiday overlay only
    assert {t["type"] for t in autoscaler["spec"]["triggers"]} <= {"cpu", "cron"}
    container, = k8s.pod_spec(k8s.one(objects, "Deployment", "gateway"))["containers"]
    assert container["resources"]["requests"]["cpu"], "CPU utilization is relative to the request"


def test_every_trigger_reads_only_known_settings(objects):
    for scaled in k8s.of_kind(objects, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            assert trigger["type"] in KNOWN_METADATA
            unknown = set(trigger["metadata"]) - KNOWN_METADATA[trigger["type"]]
            assert not unknown, (scaled["metadata"]["name"], unknown)


def season_triggers(objects, component):
    (autoscaler,) = autoscalers(objects, component)
    return [t for t in autoscaler["spec"].get("triggers", []) if t["type"] == "cron"]


def at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


IN_SEASON = [at(2026, 11, 20, 12), at(2026, 11, 27), at(2026, 12, 24), at(2026, 12, 31, 23),
             at(2027, 1, 2), at(2027, 1, 5, 23)]
OFF_SEASON = [at(2026, 11, 19), at(2026, 11, 20, 10), at(2027, 1, 6, 12), at(2027, 1, 15),
              at(2027, 3, 1), at(2027, 7, 4), at(2027, 10, 31)]


def test_holiday_raises_every_floor_for_the_season_only():
    objects = k8s.render("holiday")
    for component in ALL_COMPONENTS:
        (cron,) = season_triggers(objects, component)
        meta = cron["metadata"]
        assert set(meta) == KNOWN_METADATA["cron"]
        low, high = bounds(autoscalers(objects, component)[0])
        assert low < int(meta["desiredReplicas"]) <= high, component
        for moment in IN_SEASON:
            assert k8s.cron_active(meta, moment), f"{component} not raised on {moment}"
        for moment in OFF_SEASON:
            assert not k8s.cron_active(meta, moment), f"{component} raised on {moment}"


def test_holiday_allows_more_pods_than_production():
    production, holiday = k8s.render("production"), k8s.render("holiday")
    for component in ALL_COMPONENTS:
        assert bounds(autoscalers(holiday, component)[0])[1] > \
            bounds(autoscalers(production, component)[0])[1], component


def test_only_the_holiday_overlay_has_a_season(overlay, objects):
    for component in ALL_COMPONENTS:
        assert bool(season_triggers(objects, component)) == (overlay == "holiday"), component


def test_the_cron_model_follows_keda():
    """KEDA's rule on a plain daily window, to trust the model above."""
    daily = {"timezone": "UTC", "start": "0 9 * * *", "end": "0 17 * * *"}
    assert k8s.cron_active(daily, at(2027, 2, 1, 12))
    assert not k8s.cron_active(daily, at(2027, 2, 1, 8))
    assert not k8s.cron_active(daily, at(2027, 2, 1, 18))
    with pytest.raises(ValueError):
        k8s.next_fire("0 6 31 13 *", at(2027, 1, 1))


def test_databases_have_a_connection_for_every_pod(overlay, objects):
    """Each pod holds at most 2 x DB_POOL_SIZE connections (pool plus overflow)
    and a probe opens one more; the migration Job and superuser reserve need a
    few. At the autoscaler's ceiling it must all fit under max_connections."""
    pool = int(k8s.config_map(objects)["data"]["DB_POOL_SIZE"])
    for component in ALL_COMPONENTS:
        _, most_pods = bounds(autoscalers(objects, component)[0])
        database = k8s.one(objects, "Cluster", f"{component}-db")["spec"]
        limit = int(database["postgresql"]["parameters"]["max_connections"])
        needed = most_pods * (2 * pool + 1) + 10
        assert needed <= limit, f"{component}: {needed} connections at peak, {limit} allowed"
