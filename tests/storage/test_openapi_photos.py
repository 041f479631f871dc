"""The OpenAPI document describes the photo upload's multipart body and the
thumbnail (a client generator needs both); built from the route table."""
import json

from gateway.openapi import build
from gateway.service import Service

DOCUMENT = json.loads(json.dumps(build(Service), default=str))


def test_the_photo_upload_is_described_as_multipart_beside_json():
    body = DOCUMENT["paths"]["/work-orders/{id}/photos"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    form = body["multipart/form-data"]["schema"]
    assert form["required"] == ["photo"]
    assert form["properties"]["photo"] == {**form["properties"]["photo"], "type": "string",
                                           "format": "binary"}
    answers = DOCUMENT["paths"]["/work-orders/{id}/photos"]["post"]["responses"]
    assert {"201", "413", "422", "404"} <= set(answers)


def test_the_thumbnail_is_a_jpeg():
    get = DOCUMENT["paths"]["/work-orders/{id}/photos/{photo_id}/thumbnail"]["get"]
    assert set(get["responses"]["200"]["content"]) == {"image/jpeg"}
