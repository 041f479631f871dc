"""What the chain needs from outside the cluster, wired in every overlay:
notifications knows its public address and its mail server, every pod sends
traces to the collector, the photos go to a bucket, and every database is
backed up to object storage (base backups on a schedule plus WAL archiving)."""
import ast
import re
from urllib.parse import urlsplit

from chassis.config import ALL_COMPONENTS
from tests.deploy import k8s

PHOTO_COMPONENTS = ("workorders", "gateway")  # workorders stores the photos, the gateway serves them
PHOTO_SETTINGS = ("STORAGE_BACKEND", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION")
PHOTO_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def app_container(objects, component):
    (container,) = k8s.pod_spec(k8s.one(objects, "Deployment", component))["containers"]
    return container


def env_of(objects, component):
    """{name: value} of a component's container, ConfigMap references resolved;
    a Secret reference stays {"secret": (name, key, optional)}."""
    maps = {m["metadata"]["name"]: m.get("data", {}) for m in k8s.of_kind(objects, "ConfigMap")}
    container = app_container(objects, component)
    env = {}
    for source in container.get("envFrom", []):
        env.update(maps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        ref = var.get("valueFrom", {})
        if "configMapKeyRef" in ref:
            env[var["name"]] = maps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        elif "secretKeyRef" in ref:
            secret = ref["secretKeyRef"]
            env[var["name"]] = {"secret": (secret["name"], secret["key"],
                                           secret.get("optional", False))}
        else:
            env[var["name"]] = var.get("value")
    return env


def notifications_settings_read():
    """The SMTP_* and PUBLIC_BASE_URL names services/notifications/settings.py reads."""
    tree = ast.parse((k8s.ROOT / "services" / "notifications" / "settings.py").read_text())
    return {node.args[0].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "get"
            and node.args and isinstance(node.args[0], ast.Constant)
            and re.match(r"SMTP_|PUBLIC_BASE_URL$", str(node.args[0].value))}


# ---- notifications ----------------------------------------------------------

def test_notifications_links_and_callbacks_use_the_public_https_address(overlay, objects):
    """Tracking links and Twilio's status callbacks point at the gateway's
    public address in this overlay (the Ingress host), never 127.0.0.1."""
    url = urlsplit(env_of(objects, "notifications")["PUBLIC_BASE_URL"])
    ingress = k8s.one(objects, "Ingress", "gateway")["spec"]
    hosts = [rule["host"] for rule in ingress["rules"]]
    assert url.scheme == "https" and url.netloc in hosts, (url, hosts)
    assert any(url.netloc in tls["hosts"] for tls in ingress["tls"]), "https needs its certificate"
    assert url.path in ("", "/")


def test_notifications_gets_every_mail_setting_it_reads(objects):
    env = env_of(objects, "notifications")
    read = notifications_settings_read()
    assert {"PUBLIC_BASE_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_STARTTLS",
            "SMTP_USER", "SMTP_PASSWORD"} <= read, "the names the service reads"
    for name in read:
        assert name in env, f"notifications gets no {name}"
    # the server, port, sender and TLS come from a ConfigMap; the login from a Secret
    assert env["SMTP_HOST"] and "@" in env["SMTP_FROM"]
    assert int(env["SMTP_PORT"]) in (587, 465)
    if int(env["SMTP_PORT"]) == 587:
        assert env["SMTP_STARTTLS"] == "true", "submission on 587 upgrades to TLS"
    for name in ("SMTP_USER", "SMTP_PASSWORD"):
        assert env[name]["secret"][0] == "notifications-smtp"


# ---- traces -----------------------------------------------------------------

def test_every_deployment_exports_traces_to_the_collector(overlay, objects):
    collector = None
    for component in ALL_COMPONENTS:
        env = env_of(objects, component)
        if overlay == "dev" and env["OTEL_TRACES_EXPORTER"] == "none":
            continue
        assert env["OTEL_TRACES_EXPORTER"] == "otlp", component
        collector = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    if overlay != "dev":
        assert collector is not None
    if collector is not None:
        # OTLP over HTTP (the exporter installed), to a Service in `observability`
        assert collector.scheme == "http" and collector.port == 4318, collector
        assert collector.hostname.split(".")[1:3] == ["observability", "svc"], collector


def test_the_otlp_exporter_is_pinned_for_the_image():
    pins = dict(line.split("==") for line in (k8s.ROOT / "requirements.txt").read_text().split()
                if "==" in line)
    sdk = pins["opentelemetry-sdk"]
    assert pins["opentelemetry-exporter-otlp-proto-http"] == sdk
    assert pins["opentelemetry-exporter-otlp-proto-common"] == sdk
    assert pins["opentelemetry-proto"] == sdk
    assert {"protobuf", "googleapis-common-protos"} <= set(pins)


# ---- photos -----------------------------------------------------------------

def test_photos_go_to_the_bucket(overlay, objects):
    buckets = set()
    for component in PHOTO_COMPONENTS:
        env = env_of(objects, component)
        container = app_container(objects, component)
        by_name = {var["name"]: var for var in container["env"]}
        for name in PHOTO_SETTINGS:
            assert "configMapKeyRef" in by_name[name]["valueFrom"], (component, name)
        assert env["STORAGE_BACKEND"] == "s3"
        assert urlsplit(env["S3_ENDPOINT_URL"]).scheme == "https"
        assert env["S3_REGION"] and env["S3_BUCKET"]
        buckets.add(env["S3_BUCKET"])
        for name in PHOTO_SECRETS:
            secret, _key, optional = env[name]["secret"]
            assert secret == "photo-storage-s3" and not optional, (component, name)
        # nothing is written into the image's file system
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert len(buckets) == 1, "workorders and the gateway share one bucket"
    for component in set(ALL_COMPONENTS) - set(PHOTO_COMPONENTS):
        assert not set(PHOTO_SECRETS) & set(env_of(objects, component)), component


def test_dev_keeps_its_photos_apart_from_production():
    def bucket(overlay):
        return env_of(k8s.render(overlay), "workorders")["S3_BUCKET"]
    assert bucket("dev") != bucket("production") == bucket("holiday")


# ---- backups ----------------------------------------------------------------

def test_every_database_archives_to_object_storage(overlay, objects):
    for component in ALL_COMPONENTS:
        backup = k8s.one(objects, "Cluster", f"{component}-db")["spec"]["backup"]
        assert re.fullmatch(r"[1-9][0-9]*[dwm]", backup["retentionPolicy"])
        store = backup["barmanObjectStore"]
        assert urlsplit(store["destinationPath"]).scheme == "s3"
        credentials = store["s3Credentials"]
        for field in ("accessKeyId", "secretAccessKey"):
            assert credentials[field]["name"] == "chain-backup-s3", (component, field)
        # WAL archiving: on as soon as barmanObjectStore is set; compressed here
        assert store["wal"]["compression"]


def test_every_database_has_a_nightly_base_backup(overlay, objects):
    schedules = k8s.of_kind(objects, "ScheduledBackup")
    clusters = {c["metadata"]["name"] for c in k8s.of_kind(objects, "Cluster")}
    assert sorted(s["spec"]["cluster"]["name"] for s in schedules) == sorted(clusters)
    for scheduled in schedules:
        spec = scheduled["spec"]
        # CloudNativePG's cron: six fields, the first is seconds
        fields = spec["schedule"].split()
        assert len(fields) == 6 and fields[0] == "0", spec["schedule"]
        assert fields[3:] == ["*", "*", "*"], "every day"
        assert spec.get("method", "barmanObjectStore") == "barmanObjectStore"
        assert "app.kubernetes.io/part-of" not in scheduled["metadata"].get("labels", {})


def test_no_two_overlays_archive_into_one_place():
    """Barman refuses to archive into another cluster's WAL; dev and production
    must not share a path. Holiday is production: the same archive."""
    def paths(overlay):
        return {c["metadata"]["name"]: c["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
                for c in k8s.of_kind(k8s.render(overlay), "Cluster")}
    dev, production, holiday = paths("dev"), paths("production"), paths("holiday")
    assert production == holiday
    assert set(dev.values()).isdisjoint(production.values())


def test_the_ingress_lets_through_the_largest_body_the_gateway_takes(objects):
    """nginx answers 413 itself above proxy-body-size: it must not be
    stricter than the gateway (its default limits: MAX_BODY_BYTES, and
    PHOTO_MAX_BYTES on the photo route, plus a multipart envelope)."""
    from gateway.settings import load

    defaults = load(lambda key, default=None: "x" * 32 if key == "JWT_SECRET" else default)
    largest = max(defaults.max_body_bytes, getattr(defaults, "photo_max_bytes", 0))
    annotations = k8s.one(objects, "Ingress", "gateway")["metadata"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()
    allowed = int(number) * {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit]
    assert allowed >= largest + 64 * 1024, (size, largest)
