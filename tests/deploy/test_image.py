"""The container image definition: multi-stage, pinned, slim, non-root, one
image with a command per component. (No container engine runs here: `make
image` builds it where one does; this checks what it would build.)"""
import re

from chassis import components
from chassis.config import ALL_COMPONENTS
from tests.deploy import k8s

DOCKERFILE = (k8s.ROOT / "Dockerfile").read_text()


def instructions():
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            yield word.upper(), rest.strip()


def stages():
    result = []
    for word, rest in instructions():
        if word == "FROM":
            result.append({"from": rest, "steps": []})
        elif result:
            result[-1]["steps"].append((word, rest))
    return result


def test_multi_stage_from_a_pinned_slim_base():
    built = stages()
    assert len(built) >= 2, "build tools stay in the build stage"
    for stage in built:
        image = stage["from"].split()[0]
        name, _, tag = image.partition(":")
        assert tag and tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+-slim", tag), f"{image}: pin the full version, slim"
    runtime = built[-1]
    assert not any(w == "RUN" and ("apt-get install" in r or "pip install" in r)
                   for w, r in runtime["steps"]), "the runtime stage installs nothing"


def test_runs_as_the_non_root_user_the_manifests_expect():
    users = [rest for word, rest in instructions() if word == "USER"]
    assert users, "no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root uid (runAsNonRoot checks it)"
    for workload in k8s.workloads(k8s.render("production")):
        security = k8s.pod_spec(workload)["securityContext"]
        assert (security["runAsUser"], security["runAsGroup"]) == (int(uid), int(gid or uid))


def test_one_image_carries_every_component():
    copied = {rest.split()[0].rstrip("/") for word, rest in instructions()
              if word == "COPY" and "--from" not in rest}
    needed = {"chassis", "contracts"} | {components.package(c).split(".")[0]
                                         for c in ALL_COMPONENTS}
    assert needed <= copied
    dockerignore = (k8s.ROOT / ".dockerignore").read_text().split()
    assert dockerignore[0] == "**" or "**" in dockerignore, "send only what is needed"
    for directory in needed:
        assert f"!{directory}" in dockerignore, directory
    cmd = [rest for word, rest in instructions() if word == "CMD"][-1]
    assert cmd.startswith('["python", "-m", "chassis.run"')


def test_read_only_root_file_system_is_enough():
    env = " ".join(rest for word, rest in instructions() if word == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert any(word == "RUN" and "compileall" in rest for word, rest in instructions())
    assert "PSYCOPG_WAIT_FUNC=wait_select" in env


def test_dependencies_are_pinned():
    assert any(word == "RUN" and "pip install -r /tmp/requirements.txt" in rest
               for word, rest in instructions())
    for line in (k8s.ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert re.match(r"^[A-Za-z0-9_.\-\[\]]+==[^=]+$", line), line


def test_no_secret_in_the_image():
    for word, rest in instructions():
        if word in ("ENV", "ARG"):
            assert not re.search(r"PASSWORD|SECRET|TOKEN|API_KEY", rest, re.I), rest


def test_the_image_carries_the_console_built_from_the_gateways_own_document():
    """The gateway serves web/dist (the console and /docs): built in a stage of
    its own from the locked packages, its API types from the route table."""
    built = stages()
    web = [s for s in built if any(w == "RUN" and "npm run build" in r for w, r in s["steps"])]
    assert web, "no stage builds the console"
    steps = web[0]["steps"]
    assert ("RUN", "npm ci --no-audit --no-fund") in steps, "the lock file, not a fresh resolution"
    assert any(w == "COPY" and "--from=build" in r and "openapi.json" in r for w, r in steps)
    runtime = built[-1]["steps"]
    assert ("COPY", "--from=web /web/dist /app/web/dist") in runtime
    dockerignore = (k8s.ROOT / ".dockerignore").read_text().split()
    assert "!web" in dockerignore and "web/node_modules" in dockerignore


def test_the_image_carries_the_otlp_exporter_and_it_speaks_to_a_collector():
    """OTEL_TRACES_EXPORTER=otlp (every Deployment) needs the OTLP/HTTP exporter
    from requirements.txt: it imports, and it posts a span as protobuf to
    <OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces, the collector's receiver."""
    import eventlet
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    listener = eventlet.listen(("127.0.0.1", 0))
    received = []

    def collector():
        client, _ = listener.accept()
        reader = client.makefile("rb")
        head = []
        while (line := reader.readline()) not in (b"\r\n", b""):
            head.append(line.decode().strip())
        length = int(next(h.split(":")[1] for h in head if h.lower().startswith("content-length")))
        received.append((head[0], head, reader.read(length)))
        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                       b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        client.close()

    server = eventlet.spawn(collector)
    try:
        exporter = OTLPSpanExporter(
            endpoint=f"http://127.0.0.1:{listener.getsockname()[1]}/v1/traces", timeout=5)
        provider = TracerProvider(resource=Resource.create({"service.name": "inventory"}))
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.get_tracer("image-test").start_span("hold piece").end()
        server.wait()
        provider.shutdown()
    finally:
        server.kill()
        listener.close()
    (request_line, head, body), = received
    assert request_line.startswith("POST /v1/traces ")
    assert "content-type: application/x-protobuf" in [h.lower() for h in head]
    message = ExportTraceServiceRequest.FromString(body)
    (spans,) = message.resource_spans
    assert spans.scope_spans[0].spans[0].name == "hold piece"
