"""The OpenAPI 3 document, generated from the route table and its
marshmallow schemas, and the self-contained ``/docs`` page that reads it
(docs/API.md: the agreed surface; this document is the full one)."""
import inspect
from decimal import Decimal

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from contracts.rpc.crm import MilestoneDate
from contracts.rpc.payments import Instant

from . import media, openapi_shape
from .http import PROBLEM, Route
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .schemas import Problem

ERRORS = {
    400: "The body is not valid JSON",
    401: "No token, or a bad or expired one",
    403: "The caller's role or store scope does not allow this",
    404: "Unknown, or not visible to the caller",
    409: "Conflicts with the current state",
    413: "The body is too large",
    422: "Invalid input; `errors` names each field",
    429: "Too many failed sign-ins; try again after `Retry-After` seconds",
    503: "A service did not answer in time",
}


def routes(service_cls):
    """(method name, function, Route) for every route of ``service_cls``."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, Route):
                found.append((name, member, entrypoint))
    return sorted(found, key=lambda r: (r[2].path, r[2].method))


def _errors_for(route):
    codes = {503} | set(route.errors)
    if not route.public:
        codes |= {401, 403, 422}     # 422: a malformed X-Store-Id
    if route.body_schema or route.method in ("POST", "PUT", "PATCH"):
        codes |= {400, 413, 422}
    if route.query_schema:
        codes |= {404, 422}          # 404: a client or store the query names is unknown
    if route.idempotent:
        codes.add(422)
    if "{" in route.path:
        codes |= {404, 422}
    if route.mutating and not route.public:
        codes.add(409)
    return sorted(codes)


def _parameters(route):
    """Path parameters, the query schema and the headers a route reads."""
    parameters = []
    for param in Route.path_params(route.path):
        schema = {"type": "string"}
        if param == "id" or param.endswith("_id"):
            schema["format"] = "uuid"
        parameters.append({"in": "path", "name": param, "required": True, "schema": schema})
    if route.query_schema:
        parameters.append({"in": "query", "schema": route.query_schema})
    if not route.public:
        parameters.append({
            "in": "header", "name": "X-Store-Id", "required": False,
            "schema": {"type": "string", "format": "uuid"},
            "description": "the store the caller acts from (default: their only store)",
        })
    if route.idempotent:
        parameters.append({
            "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "a repeat with the same key and body returns the first answer; "
                           "the same key with another body is 409",
        })
    return parameters


def _operation(name, fn, route):
    doc = inspect.getdoc(fn) or ""
    summary = route.summary or (doc.splitlines()[0] if doc else name.replace("_", " "))
    description = doc
    roles = list(route.roles) if route.roles else None
    if not route.public:
        who = ", ".join(roles) if roles else "any signed-in role"
        if route.mutating and not route.limited_ok:
            who += " (never auditor)"
        description = f"{doc}\n\nRoles: {who}.".strip()
    operation = {
        "operationId": name,
        "summary": summary,
        "description": description,
        "tags": [route.path.strip("/").split("/")[0] or "root"],
        "responses": {},
        "x-roles": roles or ([] if route.public else ["any"]),
    }
    if route.limited_ok:
        operation["x-limited-ok"] = True   # the caller's own account: a limited session, an auditor
    if route.public:
        operation["security"] = []
    parameters = _parameters(route)
    if parameters:
        operation["parameters"] = parameters
    if route.body_schema:
        operation["requestBody"] = {
            "required": True, "content": {"application/json": {"schema": route.body_schema}}}
    if route.form:                       # multipart/form-data beside (or instead of) JSON
        operation.setdefault("requestBody", {"required": True, "content": {}})
        operation["requestBody"]["content"]["multipart/form-data"] = route.form
    ok = {"description": "OK" if route.status == 200 else "Created" if route.status == 201 else "Done"}
    content = {"application/json": {"schema": route.response_schema}} if route.response_schema else {}
    content.update(media.declared(fn))     # a PDF, a CSV, a page... (gateway/media.py)
    if content:
        ok["content"] = content
    operation["responses"][str(route.status)] = ok
    if route.accepted:
        operation["responses"]["202"] = {
            "description": route.accepted, **({"content": content} if content else {}),
            "headers": {"Retry-After": {"description": "seconds before sending the same request again",
                                        "schema": {"type": "integer"}}}}
    for code in _errors_for(route):
        operation["responses"][str(code)] = {"$ref": f"#/components/responses/Problem{code}"}
    return operation


def _decimal_as_string(self, field, ret, **kwargs):
    """Decimals travel as strings ("3.250"): say so, bounds in words."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _fix_decimal_bounds(node):
    """Decimal string fields get their bounds in words; a numeric field's
    Decimal bounds become JSON numbers (not the strings a Decimal encodes to)."""
    if isinstance(node, dict):
        for key in BOUNDS:
            if isinstance(node.get(key), Decimal):
                value = node[key]
                node[key] = int(value) if value == value.to_integral_value() else float(value)
        if node.get("format") == "decimal":
            bounds = [f"{word} {node.pop(key)}" for key, word in (("minimum", "at least"),
                                                                  ("maximum", "at most"))
                      if key in node]
            if bounds:
                node["description"] = (node.get("description", "") + " " + ", ".join(bounds)).strip()
        for value in node.values():
            _fix_decimal_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _fix_decimal_bounds(value)


def build(service_cls, title="Jewelry chain gateway", version="1.0.0"):
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title=title, version=version, openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        info={"description": "The HTTP/JSON surface of the jewelry chain platform. "
                             "Errors are RFC 9457 problem+json; lists take `limit` and `cursor`."},
    )
    marshmallow_plugin.converter.add_attribute_function(_decimal_as_string)
    marshmallow_plugin.converter.add_attribute_function(openapi_shape.optional_field)
    marshmallow_plugin.map_to_openapi_type(Instant, "string", None)       # a date or a date-time
    marshmallow_plugin.map_to_openapi_type(MilestoneDate, "string", None)  # YYYY-MM-DD or --MM-DD
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=Problem)
    for code, description in ERRORS.items():
        spec.components.response(f"Problem{code}", {
            "description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        })
    for name, fn, route in routes(service_cls):
        spec.path(path=route.path, operations={route.method.lower(): _operation(name, fn, route)})
    document = spec.to_dict()
    _fix_decimal_bounds(document)
    openapi_shape.settle(document)
    document["security"] = [{"bearerAuth": []}]
    return document


DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Jewelry chain gateway API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2a44;color:#fff;padding:14px 24px}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
details{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px}
.m{display:inline-block;min-width:58px;font-weight:700;font-family:monospace}
.GET{color:#0b7a3e}.POST{color:#1b5fc1}.PATCH{color:#a85d00}.DELETE{color:#b3261e}
.p{font-family:monospace}.s{color:#666;margin-left:8px}
pre{background:#f3f3f3;padding:8px;overflow:auto;margin:4px 12px 12px}
h4{margin:8px 12px 2px}
.d{margin:4px 12px;white-space:pre-wrap}
</style></head>
<body><header><h2 style="margin:0">Jewelry chain gateway API</h2>
<div>Generated from <a style="color:#9cf" href="openapi.json">openapi.json</a></div></header>
<main id="routes">Loading&hellip;</main>
<script>
function el(tag, cls, text){var e=document.createElement(tag);if(cls)e.className=cls;
 if(text!==undefined)e.textContent=text;return e;}
function resolve(spec, node, depth){
 if(depth>6||node===null||typeof node!=='object')return node;
 if(node.$ref){var parts=node.$ref.replace('#/','').split('/');var t=spec;
  parts.forEach(function(p){t=t&&t[p];});return resolve(spec,t,depth+1);}
 var out=Array.isArray(node)?[]:{};
 Object.keys(node).forEach(function(k){out[k]=resolve(spec,node[k],depth+1);});return out;}
fetch('openapi.json').then(function(r){return r.json();}).then(function(spec){
 var main=document.getElementById('routes');main.textContent='';
 Object.keys(spec.paths).sort().forEach(function(path){
  var ops=spec.paths[path];
  Object.keys(ops).forEach(function(method){
   var op=ops[method];var d=el('details');var s=el('summary');
   s.appendChild(el('span','m '+method.toUpperCase(),method.toUpperCase()));
   s.appendChild(el('span','p',path));s.appendChild(el('span','s',op.summary||''));
   d.appendChild(s);d.appendChild(el('div','d',op.description||''));
   if(op.parameters){d.appendChild(el('h4',null,'Parameters'));
    d.appendChild(el('pre',null,JSON.stringify(resolve(spec,op.parameters,0),null,2)));}
   if(op.requestBody){d.appendChild(el('h4',null,'Request body'));
    d.appendChild(el('pre',null,JSON.stringify(resolve(spec,op.requestBody.content,0),null,2)));}
   d.appendChild(el('h4',null,'Responses'));
   d.appendChild(el('pre',null,JSON.stringify(resolve(spec,op.responses,0),null,2)));
   main.appendChild(d);});});
}).catch(function(e){document.getElementById('routes').textContent='Could not load openapi.json: '+e;});
</script></body></html>
"""
