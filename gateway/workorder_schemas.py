"""What ``POST /work-orders/{id}/deposits`` answers (docs/API.md#work-orders):
the payment as the payments service writes it (``services/payments``).

The payment is a tender as ``POST /sales`` answers it (``payment_schemas.TenderView``).
"""
from marshmallow import Schema, fields

from .payment_schemas import TenderView


class DepositView(Schema):
    payment = fields.Nested(TenderView)
    store_id = fields.UUID()
    client_id = fields.UUID(allow_none=True)
    work_order_id = fields.UUID()


# ``POST /work-orders/{id}/photos`` as multipart/form-data (gateway/http.py ``form=``):
# the file streamed, up to PHOTO_MAX_BYTES (15 MiB), beside the JSON base64 form
PHOTO_FORM = {
    "schema": {
        "type": "object",
        "required": ["photo"],
        "properties": {
            "photo": {"type": "string", "format": "binary",
                      "description": "the image file: JPEG, PNG or WebP (recognised by its "
                                     "content), at most PHOTO_MAX_BYTES (default 15 MiB)"},
            "caption": {"type": "string", "maxLength": 200},
        },
    },
    "encoding": {"photo": {"contentType": "image/jpeg, image/png, image/webp"}},
}
