"""OpenTelemetry: one trace from the gateway through RPC, outbox and handlers.

Exporter by ``OTEL_TRACES_EXPORTER``: ``none`` (default), ``console`` or
``otlp`` (needs an OTLP exporter package installed). Tests install their own
in-memory exporter with ``setup_tracing(exporter=...)``.
"""
import logging

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor,
)

from .config import env

log = logging.getLogger(__name__)
_state = {"nameko": False, "provider": None}


def setup_tracing(service_name, exporter=None):
    """Install the tracer provider and the nameko instrumentation once."""
    if _state["provider"] is None:
        provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        trace.set_tracer_provider(provider)
        _state["provider"] = provider
    provider = _state["provider"]
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        kind = env("OTEL_TRACES_EXPORTER", "none")
        if kind == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif kind == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError:
                log.warning("OTEL_TRACES_EXPORTER=otlp but no OTLP exporter is installed")
            else:
                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if not _state["nameko"]:
        from nameko_opentelemetry import NamekoInstrumentor
        NamekoInstrumentor().instrument()
        _state["nameko"] = True
    return provider


def instrument_engine(engine):
    """Spans for SQL statements, when tracing is on."""
    if _state["provider"] is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=_state["provider"])
