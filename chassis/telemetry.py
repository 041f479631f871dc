"""OpenTelemetry: one trace from the gateway through RPC, outbox and handlers.

Exporter by ``OTEL_TRACES_EXPORTER``: ``none`` (default), ``console`` or
``otlp`` (OTLP over HTTP, the pinned opentelemetry-exporter-otlp-proto-http,
to ``OTEL_EXPORTER_OTLP_ENDPOINT``, read by the exporter itself; on Kubernetes
a collector in the ``observability`` namespace). Tests install their own
in-memory exporter with ``setup_tracing(exporter=...)``.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, TypedDict

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter
from sqlalchemy.engine import Engine

from .config import env

log = logging.getLogger(__name__)
class _State(TypedDict):
    nameko: bool
    provider: TracerProvider | None
    exporting: bool


_state: _State = {"nameko": False, "provider": None, "exporting": False}


def setup_tracing(service_name: str, exporter: SpanExporter | None = None) -> TracerProvider:
    """Install the tracer provider and the nameko instrumentation once."""
    provider = _state["provider"]
    if provider is None:
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        _state["exporting"] = True
    else:
        kind = env("OTEL_TRACES_EXPORTER", "none")
        if kind == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
            _state["exporting"] = True
        elif kind == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.warning("OTEL_TRACES_EXPORTER=otlp but no OTLP exporter is installed")
            else:
                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
                _state["exporting"] = True
    if not _state["nameko"]:
        from nameko_opentelemetry import NamekoInstrumentor
        NamekoInstrumentor().instrument()
        _close_rpc_spans_on_failure()
        _state["nameko"] = True
    return provider


def _close_rpc_spans_on_failure() -> None:
    """nameko-opentelemetry 0.5.2 enters an RPC client span's context when a
    call starts and leaves it only when a reply arrives: a call that raises
    (unknown service, remote error) or times out leaves the span open and its
    context attached to the worker, which is later collected in another
    greenthread ("Failed to detach context"). Re-wrap both ends so the context
    is attached only while the request is published, and the span always ends.
    """
    import nameko.rpc
    from nameko_opentelemetry import rpc as otel_rpc
    from opentelemetry.instrumentation.utils import unwrap
    from opentelemetry.propagate import inject
    from opentelemetry.trace.status import Status, StatusCode
    from wrapt import wrap_function_wrapper

    tracer = trace.get_tracer("nameko_opentelemetry")

    def initiate_call(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> Any:
        span = tracer.start_span(
            f"RPC to {instance.identifier}", kind=trace.SpanKind.CLIENT,
            attributes={"nameko.rpc.target_service": instance.service_name,
                        "nameko.rpc.target_method": instance.method_name})
        with trace.use_span(span, end_on_exit=False, record_exception=False,
                            set_status_on_exception=False):
            inject(instance.context_data)
            try:
                rpc_call = wrapped(*args, **kwargs)
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.end()
                raise
        span.set_attribute("nameko.rpc.correlation_id", rpc_call.correlation_id)
        otel_rpc.active_spans[rpc_call] = span
        return rpc_call

    def get_response(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:
        span = otel_rpc.active_spans.pop(instance, None)
        try:
            return wrapped(*args, **kwargs)
        except BaseException as exc:
            if span is not None:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            if span is not None:
                span.end()

    unwrap(nameko.rpc.Client, "_call")
    unwrap(nameko.rpc.RpcCall, "get_response")
    wrap_function_wrapper("nameko.rpc", "Client._call", initiate_call)
    wrap_function_wrapper("nameko.rpc", "RpcCall.get_response", get_response)


def instrument_engine(engine: Engine) -> None:
    """Spans for SQL statements, when spans go somewhere. Without an exporter
    the trace ids still flow through RPC, events and logs; a span per
    statement would only cost (a tenth of a busy service's CPU)."""
    if _state["provider"] is None or not _state["exporting"]:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=_state["provider"])
