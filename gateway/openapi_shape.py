"""The OpenAPI document in the shape client generators type correctly
(openapi-typescript, openapi-python-client): what apispec's marshmallow
plugin leaves for them to guess is settled here, after the document is built.

- A response schema lists every property it declares in ``required``: an
  answer always carries each field (``null`` where the field is nullable).
  The exceptions are marked on the marshmallow field, not guessed:
  ``metadata={"optional": True}`` for a field an answer may leave out, and
  ``load_only=True`` fields (never in an answer). A schema that both a
  request and an answer use is split: the request keeps the original (its
  ``required`` are the fields a caller must send), the answers get a copy
  named ``<Name>Reply`` with every field required. An answer may gain
  fields (docs/API.md): answers are never ``additionalProperties: false``.
- A nullable nested schema is ``{allOf: [{$ref}], nullable: true}``, not
  ``anyOf: [{$ref}, {type: object, nullable: true}]`` (read as an untyped
  object).
- Query parameters are not nullable and their enums hold no ``null`` (leaving a parameter out is how one asks
  for everything), and nothing has ``default: null``: an optional request
  field is simply not required (a default makes TypeScript require it).
- An enum used in more than one place (``Item.status`` and the ``status``
  of ``GET /items`` and ``GET /availability``) is one named schema
  (``ItemStatus``) that each place refers to: one type in a client, not three.
"""
import copy
from collections import defaultdict

REFS = "#/components/schemas/"
OPTIONAL = "x-optional"      # set from metadata={"optional": True}, removed before serving
REPLY = "Reply"


def optional_field(self, field, ret, **kwargs):
    """apispec attribute function: carry ``metadata={"optional": True}`` to
    the document (then :func:`require_response_fields` reads and drops it)."""
    return {OPTIONAL: True} if field.metadata.get("optional") else {}


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for value in list(node.values()):
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _referenced(node, schemas, found):
    """Names of the component schemas ``node`` reaches, transitively."""
    def visit(n):
        ref = n.get("$ref", "")
        if ref.startswith(REFS):
            name = ref[len(REFS):]
            if name not in found:
                found.add(name)
                _referenced(schemas[name], schemas, found)
    _walk(node, visit)
    return found


def _operations(document):
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            yield operation


def _success_bodies(operation):
    return [r for code, r in operation.get("responses", {}).items() if code.startswith("2")]


def _requests(operation):
    return [operation.get("requestBody", {}), operation.get("parameters", [])]


def _retarget(node, names):
    """Point every ``$ref`` to one of ``names`` at its reply copy."""
    def visit(n):
        ref = n.get("$ref", "")
        if ref.startswith(REFS) and ref[len(REFS):] in names:
            n["$ref"] = REFS + ref[len(REFS):] + REPLY
    _walk(node, visit)


def require_response_fields(document):
    schemas = document.get("components", {}).get("schemas", {})
    answered, asked = set(), set()
    for operation in _operations(document):
        _referenced(_success_bodies(operation), schemas, answered)
        _referenced(_requests(operation), schemas, asked)
    shared = answered & asked
    for name in sorted(shared):
        schemas[name + REPLY] = copy.deepcopy(schemas[name])
    replies = (answered - shared) | {name + REPLY for name in shared}
    for name in replies:
        _retarget(schemas[name], shared)
    for operation in _operations(document):
        _retarget(_success_bodies(operation), shared)
    for name in replies:
        if schemas[name].get("additionalProperties") is False:
            del schemas[name]["additionalProperties"]   # an answer may gain fields (docs/API.md)
        properties = schemas[name].get("properties", {})
        required = [key for key, prop in properties.items()
                    if not prop.get(OPTIONAL) and not prop.get("writeOnly")]
        if required:
            schemas[name]["required"] = required
        else:
            schemas[name].pop("required", None)
    _walk(document, lambda n: n.pop(OPTIONAL, None))


def _nullable_ref(node):
    """``anyOf: [{$ref}, {type: object, nullable: true}]`` -> ``allOf: [{$ref}], nullable: true``."""
    options = node.get("anyOf")
    if not isinstance(options, list) or len(options) != 2:
        return
    refs = [o for o in options if set(o) == {"$ref"}]
    nulls = [o for o in options if o.get("nullable") is True and set(o) <= {"type", "nullable"}]
    if len(refs) == 1 and len(nulls) == 1:
        del node["anyOf"]
        node["allOf"] = refs
        node["nullable"] = True


def _no_default_null(node):
    if "default" in node and node["default"] is None:
        del node["default"]


def _query_without_null(document):
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter.get("in") != "query":
                continue
            schema.pop("nullable", None)        # leave it out; an empty value is not null
            if isinstance(schema.get("enum"), list):
                schema["enum"] = [value for value in schema["enum"] if value is not None]


def _enum_values(node):
    if node.get("type") == "string" and isinstance(node.get("enum"), list):
        return tuple(value for value in node["enum"] if value is not None)
    return None


def _camel(word):
    return "".join(part.title() for part in word.split("_"))


def _enum_uses(document):
    """values -> [((schema or resource, field), the schema node)], for the
    enums used more than once."""
    uses = defaultdict(list)
    for owner, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        for key, node in schema.get("properties", {}).items():
            if node.get("type") == "array":
                node = node.get("items", node)
            elif isinstance(node.get("additionalProperties"), dict):
                node = node["additionalProperties"]         # a map's values
            values = _enum_values(node)
            if values:
                uses[values].append(((owner.removesuffix(REPLY), key), node))
    for path, methods in sorted(document.get("paths", {}).items()):
        resource = _camel(path.split(".")[0].strip("/").split("/")[-1].replace("-", "_"))
        for operation in methods.values():
            for parameter in operation.get("parameters", []):
                values = _enum_values(parameter.get("schema", {}))
                if values and parameter.get("in") == "query":
                    uses[values].append(((resource, parameter["name"]), parameter["schema"]))
    return {values: found for values, found in uses.items() if len(found) > 1}


def _enum_name(places, keys, taken):
    """The field's name (``Role``) when only this enum has it, else the
    shortest schema-and-field name (``ItemStatus``)."""
    own = {key for _, key in places}
    if len(own) == 1 and keys[next(iter(own))] == 1 and _camel(next(iter(own))) not in taken:
        return _camel(next(iter(own)))
    return min((owner + _camel(key) for owner, key in places), key=lambda n: (len(n), n))


def _name_shared_enums(document):
    schemas = document.get("components", {}).get("schemas", {})
    shared = _enum_uses(document)
    keys = defaultdict(int)
    for found in shared.values():
        for key in {where[1] for where, _ in found}:
            keys[key] += 1
    for values, found in sorted(shared.items()):
        name = _enum_name([where for where, _ in found], keys, schemas)
        if name in schemas:
            continue
        schemas[name] = {"type": "string", "enum": list(values)}
        ref = {"$ref": REFS + name}
        for _, node in found:
            rest = {key: value for key, value in node.items() if key not in ("type", "enum")}
            node.clear()
            node.update({"allOf": [ref], **rest} if rest else ref)


def settle(document):
    """Everything above, in place; returns ``document``."""
    require_response_fields(document)
    _walk(document, _nullable_ref)
    _walk(document, _no_default_null)
    _query_without_null(document)
    _name_shared_enums(document)
    return document
