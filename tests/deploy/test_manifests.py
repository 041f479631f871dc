"""deploy/k8s renders in every overlay, every object is valid for Kubernetes
and the operators, and every workload follows the chain's rules."""
import copy
import re

import jsonschema
import pytest

from chassis.config import ALL_COMPONENTS, SERVICES
from tests.deploy import k8s

# the oldest Kubernetes the manifests support, and the newest the schemas know
KUBE_VERSIONS = ("1.30", "1.37")

# Secrets the chain reads, created at install time (README "Secrets");
# <component>-db-app come from CloudNativePG
INSTALL_SECRETS = {"chain-rabbitmq-app", "chain-rabbitmq-scaler", "gateway-jwt",
                   "payments-stripe", "notifications-twilio", "notifications-smtp", "gateway-tls",
                   "photo-storage-s3", "chain-backup-s3"}
# the settings that are secrets, by the component that reads them, and whether
# the component refuses to start without them (then the reference is not optional)
SECRET_SETTINGS = {
    "gateway": {"JWT_SECRET": True, "AWS_ACCESS_KEY_ID": True, "AWS_SECRET_ACCESS_KEY": True},
    "workorders": {"AWS_ACCESS_KEY_ID": True, "AWS_SECRET_ACCESS_KEY": True},
    "payments": {"STRIPE_API_KEY": False, "STRIPE_WEBHOOK_SECRET": False},
    "notifications": {"TWILIO_ACCOUNT_SID": False, "TWILIO_AUTH_TOKEN": False,
                      "SMTP_USER": False, "SMTP_PASSWORD": False},
}
# what a secret value looks like wherever it is written
SECRET_VALUE = re.compile(r"\b(sk|rk|pk)_(live|test)_\w+|\bwhsec_\w+|BEGIN [A-Z ]*PRIVATE KEY|"
                          r"\bAC[0-9a-f]{32}\b")


# ---- rendering and schemas --------------------------------------------------

def test_overlay_renders_the_whole_chain_in_its_namespace(overlay, objects):
    namespace = k8s.NAMESPACE[overlay]
    assert [o["metadata"]["name"] for o in k8s.of_kind(objects, "Namespace")] == [namespace]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == namespace, (obj["kind"], obj["metadata"])
    for component in ALL_COMPONENTS:
        k8s.one(objects, "Deployment", component)
        k8s.one(objects, "Job", f"{component}-migrate")
        k8s.one(objects, "ServiceAccount", component)
        k8s.one(objects, "PodDisruptionBudget", component)
        k8s.one(objects, "NetworkPolicy", component)
        k8s.one(objects, "Cluster", f"{component}-db")
    k8s.one(objects, "RabbitmqCluster", "chain-rabbitmq")
    k8s.one(objects, "Service", "gateway")
    k8s.one(objects, "Ingress", "gateway")
    assert {o["kind"] for o in objects if o["apiVersion"].startswith("keda.sh")} == {
        "ScaledObject", "TriggerAuthentication"}


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_every_object_matches_its_schema(objects, version):
    for obj in objects:
        try:
            k8s.validate(obj, version)
        except Exception as exc:
            raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']} (Kubernetes "
                                 f"{version}): {str(getattr(exc, 'message', exc))[:500]}") from None


def test_every_kind_has_a_schema():
    """A kind neither Kubernetes nor deploy/k8s/schemas knows fails the check
    above; and no schema is kept for a kind nothing uses."""
    used = {(o["apiVersion"], o["kind"]) for overlay in k8s.OVERLAYS for o in k8s.render(overlay)}
    assert set(k8s.crd_schemas()) <= used


def _broken(objects, kind, mutate):
    obj = copy.deepcopy(k8s.of_kind(objects, kind)[0])
    mutate(obj["spec"])
    return obj


@pytest.mark.parametrize("kind, mutate", [
    ("Deployment", lambda s: s.update(replica=2)),
    ("Deployment", lambda s: s["template"]["spec"]["containers"][0].update(readinessProbe={
        "httpGet": {"path": "/readyz", "port": "probes"}, "periodSecond": 5})),
    ("NetworkPolicy", lambda s: s.update(policyTypes="Egress")),
    ("ScaledObject", lambda s: s.update(minReplicas=1)),
    ("ScaledObject", lambda s: s["triggers"][0].update(metadata={"value": 20})),
    ("Cluster", lambda s: s.update(instances=0)),
    ("Cluster", lambda s: s["bootstrap"]["initdb"].update(ownr="x")),
    ("Cluster", lambda s: s["backup"].update(retentionPolicy="30 days")),
    ("Cluster", lambda s: s["backup"]["barmanObjectStore"].update(destinationPth="s3://x")),
    ("Cluster", lambda s: s["backup"]["barmanObjectStore"]["s3Credentials"].update(
        accessKeyId={"name": "chain-backup-s3"})),
    ("ScheduledBackup", lambda s: s.pop("schedule")),
    ("ScheduledBackup", lambda s: s.update(method="barman")),
    ("RabbitmqCluster", lambda s: s.update(replicas="3")),
    ("RabbitmqCluster", lambda s: s["resources"].update(limit={"memory": "2Gi"})),
    ("Policy", lambda s: s.update(applyTo="queue")),
])
def test_schemas_reject_mistakes(kind, mutate):
    """The validation can fail: a typo or a wrong type is caught."""
    broken = _broken(k8s.render("production"), kind, mutate)
    with pytest.raises(jsonschema.ValidationError):
        k8s.validate(broken, KUBE_VERSIONS[0])


# ---- what every workload must be --------------------------------------------

def test_every_container_is_locked_down_and_bounded(objects):
    for workload in k8s.workloads(objects):
        spec = k8s.pod_spec(workload)
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        assert spec.get("automountServiceAccountToken") is False, where
        assert spec.get("serviceAccountName") == workload["metadata"]["labels"][
            "app.kubernetes.io/name"], where
        pod_security = spec.get("securityContext", {})
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for container in k8s.containers(spec):
            security = {**pod_security, **container.get("securityContext", {})}
            label = f"{where} container {container['name']}"
            assert security.get("runAsNonRoot") is True, label
            assert security.get("runAsUser", 0) != 0, label
            assert security.get("readOnlyRootFilesystem") is True, label
            assert security.get("allowPrivilegeEscalation") is False, label
            assert security.get("capabilities", {}).get("drop") == ["ALL"], label
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert set(resources.get(bound, {})) >= {"cpu", "memory"}, f"{label}: {bound}"


def test_every_long_running_container_answers_probes(objects):
    probe_port = int(k8s.config_map(objects)["data"]["PROBE_PORT"])
    for deployment in k8s.of_kind(objects, "Deployment"):
        for container in k8s.containers(k8s.pod_spec(deployment)):
            label = f"{deployment['metadata']['name']}/{container['name']}"
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            assert ports.get("probes") == probe_port, label
            for probe, path in (("startupProbe", "/livez"), ("livenessProbe", "/livez"),
                                ("readinessProbe", "/readyz")):
                http = container.get(probe, {}).get("httpGet", {})
                assert (http.get("path"), http.get("port")) == (path, "probes"), (label, probe)
            # the readiness check is bounded by PROBE_TIMEOUT; the kubelet must wait longer
            timeout = float(k8s.config_map(objects)["data"]["PROBE_TIMEOUT"])
            assert container["readinessProbe"]["timeoutSeconds"] > timeout, label


def test_images_are_pinned(objects):
    images = [c["image"] for w in k8s.workloads(objects) for c in k8s.containers(k8s.pod_spec(w))]
    images += [o["spec"]["image"] for o in k8s.of_kind(objects, "RabbitmqCluster")]
    images += [o["spec"]["imageName"] for o in k8s.of_kind(objects, "Cluster")
               if "imageName" in o["spec"]]
    assert images
    for image in images:
        name, _, tag = image.rpartition("@")[0].rpartition(":") if "@" in image else \
            image.rpartition(":")
        assert "@sha256:" in image or (name and tag and "/" not in tag), f"untagged {image}"
        assert tag != "latest", image
    assert {i for i in images if i.startswith("jewelry-chain")} == {"jewelry-chain:0.1.0"}


SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|_SID$", re.I)
URL_CREDENTIALS = re.compile(r"://([^/\s:@]+):([^@\s]+)@")


def test_no_secret_values(objects):
    assert not k8s.of_kind(objects, "Secret"), "Secrets are created at install time"
    referenced = set()
    for workload in k8s.workloads(objects):
        for container in k8s.containers(k8s.pod_spec(workload)):
            for var in container.get("env", []):
                if SECRET_NAME.search(var["name"]):
                    assert "value" not in var, f"{var['name']} must come from a Secret"
                for user, password in URL_CREDENTIALS.findall(var.get("value", "")):
                    assert re.fullmatch(r"\$\(\w+\)", user) and re.fullmatch(
                        r"\$\(\w+\)", password), f"credentials in {var['name']}"
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    referenced.add(ref["name"])
    for obj in k8s.of_kind(objects, "TriggerAuthentication"):
        referenced |= {ref["name"] for ref in obj["spec"]["secretTargetRef"]}
    for obj in k8s.of_kind(objects, "User"):
        referenced.add(obj["spec"]["importCredentialsSecret"]["name"])
    referenced |= {tls["secretName"] for o in k8s.of_kind(objects, "Ingress")
                   for tls in o["spec"].get("tls", [])}
    for obj in k8s.of_kind(objects, "Cluster"):
        store = obj["spec"].get("backup", {}).get("barmanObjectStore", {})
        referenced |= {ref["name"] for ref in store.get("s3Credentials", {}).values()
                       if isinstance(ref, dict)}
    generated = {f"{c}-db-app" for c in ALL_COMPONENTS}
    assert referenced - generated <= INSTALL_SECRETS
    for data in (o.get("data", {}) for o in k8s.of_kind(objects, "ConfigMap")):
        assert not [key for key in data if SECRET_NAME.search(key)]


def _strings(value, where=""):
    """Every string in a rendered object, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key, where)
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, str):
        yield where, value


def test_no_secret_value_inline_in_any_rendered_object(objects):
    """Not in env, args, ConfigMaps, annotations or the operators' objects:
    no key, webhook secret or private key, and no URL with a literal password."""
    for obj in objects:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        for where, text in _strings(obj):
            assert not SECRET_VALUE.search(text), f"{name}{where}: looks like a secret"
            for user, password in URL_CREDENTIALS.findall(text):
                assert re.fullmatch(r"\$\(\w+\)", password), f"{name}{where}: a password in a URL"


def test_every_secret_setting_comes_from_a_secret(objects):
    """Each secret a component reads is a secretKeyRef (never a value, never a
    ConfigMap's); those the component cannot start without are not optional."""
    config_keys = {key for cm in k8s.of_kind(objects, "ConfigMap") for key in cm.get("data", {})}
    for component, settings in SECRET_SETTINGS.items():
        assert not set(settings) & config_keys
        (container,) = [c for c in k8s.containers(k8s.pod_spec(k8s.one(objects, "Deployment", component)))
                        if c["name"] == "app"]
        env = {var["name"]: var for var in container.get("env", [])}
        for setting, required in settings.items():
            assert setting in env, f"{component} gets no {setting}"
            ref = env[setting].get("valueFrom", {}).get("secretKeyRef")
            assert ref and "value" not in env[setting], f"{component} {setting} must come from a Secret"
            if required:
                assert not ref.get("optional"), f"{component} refuses to start without {setting}"


def test_no_secret_in_any_deploy_file():
    patterns = re.compile(r"sk_(live|test)_\w+|whsec_\w+|BEGIN [A-Z ]*PRIVATE KEY|"
                          r"(password|passwd|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{12,}",
                          re.I)
    files = [p for p in (k8s.ROOT / "deploy").rglob("*") if p.is_file()]
    files += [k8s.ROOT / "Dockerfile"]
    for path in files:
        text = path.read_text()
        assert not patterns.search(text), f"{path.relative_to(k8s.ROOT)}: looks like a secret"


def test_env_references_resolve_in_order(objects):
    """$(VAR) in an env value expands only from variables defined before it."""
    config_keys = set(k8s.config_map(objects)["data"])
    for workload in k8s.workloads(objects):
        for container in k8s.containers(k8s.pod_spec(workload)):
            known = set()
            if any("configMapRef" in e for e in container.get("envFrom", [])):
                known |= config_keys
            for var in container.get("env", []):
                for ref in k8s.env_references(var.get("value", "")):
                    assert ref in known, (workload["metadata"]["name"], var["name"], ref)
                known.add(var["name"])


def test_each_component_runs_its_command_on_its_own_database(objects):
    for component in ALL_COMPONENTS:
        for kind, name, module in (("Deployment", component, "chassis.run"),
                                   ("Job", f"{component}-migrate", "chassis.migrate")):
            container, = k8s.pod_spec(k8s.one(objects, kind, name))["containers"]
            assert container["command"] == ["python", "-m", module, component]
            env = {v["name"]: v for v in container["env"]}
            url = env[f"{component.upper()}_DATABASE_URL"]["value"]
            assert url == (f"postgresql+psycopg://$(DB_USERNAME):$(DB_PASSWORD)@"
                           f"{component}-db-rw:5432/{component}")
            assert env["DB_USERNAME"]["valueFrom"]["secretKeyRef"]["name"] == f"{component}-db-app"
        database = k8s.one(objects, "Cluster", f"{component}-db")["spec"]
        # one database and one role per component (docs/ARCHITECTURE.md#rule-1)
        assert database["bootstrap"]["initdb"] == {"database": component, "owner": component}
        assert database["enableSuperuserAccess"] is False


def test_every_deployment_has_a_disruption_budget(objects):
    budgets = k8s.of_kind(objects, "PodDisruptionBudget")
    for deployment in k8s.of_kind(objects, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if k8s._selects(b["spec"]["selector"], labels)]
        assert len(matching) == 1, deployment["metadata"]["name"]
        assert matching[0]["spec"].get("maxUnavailable") == 1


def test_operator_made_pods_stay_outside_the_chain_policies(objects):
    """Labels on a RabbitmqCluster reach the broker's pods; the chain's
    default-deny policy must never select them."""
    for kind in ("RabbitmqCluster", "Cluster"):
        for obj in k8s.of_kind(objects, kind):
            assert "app.kubernetes.io/part-of" not in obj["metadata"].get("labels", {}), kind


def test_every_setting_is_read_by_the_code_or_the_manifests(objects):
    code = "\n".join(p.read_text() for d in ("chassis", "gateway", "services")
                     for p in (k8s.ROOT / d).rglob("*.py"))
    used_in_manifests = {ref for w in k8s.workloads(objects)
                         for c in k8s.containers(k8s.pod_spec(w))
                         for v in c.get("env", [])
                         for ref in k8s.env_references(v.get("value", ""))}
    for key in k8s.config_map(objects)["data"]:
        if key in LIBRARY_SETTINGS:
            continue
        assert f'"{key}"' in code or key in used_in_manifests, f"{key} is read by nothing"


# settings a library reads from the environment itself, and the module naming them
LIBRARY_SETTINGS = {"OTEL_EXPORTER_OTLP_ENDPOINT": "opentelemetry.sdk.environment_variables"}


def test_library_settings_are_read_by_the_installed_library():
    import importlib
    import inspect
    for key, module in LIBRARY_SETTINGS.items():
        assert f'"{key}"' in inspect.getsource(importlib.import_module(module)), key


def test_readme_explains_the_operations_and_every_setting():
    readme = (k8s.K8S / "README.md").read_text()
    for heading in ("Deploy", "Secrets", "Scale for the season", "Roll out", "Roll back",
                    "Run migrations", "Settings", "Network"):
        assert re.search(rf"^#+ .*{heading}", readme, re.M | re.I), heading
    for key in k8s.config_map(k8s.render("production"))["data"]:
        assert f"`{key}`" in readme, f"README does not explain {key}"
    for secret in INSTALL_SECRETS:
        assert secret in readme, secret
    for overlay in k8s.OVERLAYS:
        assert f"overlays/{overlay}" in readme


def test_services_list_matches_the_chassis():
    assert set(SERVICES) | {"gateway"} == set(ALL_COMPONENTS)
    assert {p.name for p in (k8s.K8S / "base").iterdir() if (p / "deployment.yaml").exists()} \
        == set(ALL_COMPONENTS)


def test_schema_files_are_valid_json_schema():
    for schema in k8s.crd_schemas().values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_broker_policy_covers_every_queue_the_chain_consumes():
    policy = k8s.one(k8s.render("production"), "Policy", "chain-queues")["spec"]
    pattern = re.compile(policy["pattern"])
    for component in ALL_COMPONENTS:
        for queue in k8s.consumed_queues(component):
            assert pattern.match(queue), queue
    assert not pattern.match("rpc.reply-gateway-0c1d"), "reply queues are not the chain's work"
    rabbit = k8s.one(k8s.render("production"), "RabbitmqCluster", "chain-rabbitmq")["spec"]
    assert rabbit["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["rabbitmq"]["additionalConfig"].splitlines()
