# ruff: noqa: F811  (pytest fixtures imported from test_http, used as arguments)
"""A phone's photo through the gateway (issue 19): multipart/form-data up to
PHOTO_MAX_BYTES (15 MiB) on ``POST /work-orders/{id}/photos`` alone, stored by
the gateway in object storage (a local folder, or an S3-compatible server
that the test starts) with a thumbnail; only its key travels to workorders.
Every other body stays under the 1 MiB limit."""
import io
import json
import os
import re
import socket

import pytest
from PIL import Image

from tests.storage.conftest import s3_server  # noqa: F401  (fixture)

from .conftest import files_in
from .test_http import http, intake, problem, shop  # noqa: F401, F811  (fixtures)

MiB = 1024 * 1024


@pytest.fixture
def photo_max_bytes():
    return 15 * MiB          # the default: the gateway and workorders share one config here


@pytest.fixture(params=["local", "s3"])
def storage_settings(request, photo_dir):
    if request.param == "local":
        return {"STORAGE_BACKEND": "local", "STORAGE_DIR": str(photo_dir)}
    server = request.getfixturevalue("s3_server")
    return server.settings(server.new_bucket())


@pytest.fixture
def stored(storage_settings, photo_dir, s3_server_if_used):
    """The keys of every object the services stored, whichever the backend."""
    if storage_settings["STORAGE_BACKEND"] == "local":
        return lambda: sorted(str(p.relative_to(photo_dir)) for p in files_in(photo_dir))
    return lambda: s3_server_if_used.keys(storage_settings["S3_BUCKET"])


@pytest.fixture
def s3_server_if_used(request, storage_settings):
    return request.getfixturevalue("s3_server") if storage_settings["STORAGE_BACKEND"] == "s3" else None


@pytest.fixture(scope="module")
def big_jpeg():
    """A real JPEG of about 12 MB (noise does not compress)."""
    w, h = 2800, 2250
    out = io.BytesIO()
    Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(out, "JPEG", quality=100)
    data = out.getvalue()
    assert 12_000_000 <= len(data) < 15 * MiB
    return data


@pytest.fixture
def job(shop):
    body = intake(shop["store"])
    body["intake"]["photos"] = []
    reply = shop["sales_associate"].post("/work-orders", body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def upload(api, job_id, data, caption="clasp, face up", filename="IMG_0001.jpg", key=None,
           content_type="image/jpeg"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.request("POST", f"/work-orders/{job_id}/photos", headers=headers,
                       files={"photo": (filename, data, content_type)}, data={"caption": caption},
                       timeout=60)


def test_a_12_mb_jpeg_is_stored_and_read_back_byte_for_byte_with_a_thumbnail(
        workorders, db, shop, job, big_jpeg, stored):
    jeweler = shop["bench_jeweler"]
    reply = upload(jeweler, job["id"], big_jpeg, key="upload-1")
    assert reply.status_code == 201, reply.text
    photo = reply.json()
    assert photo["content_type"] == "image/jpeg" and photo["size_bytes"] == len(big_jpeg)
    assert photo["caption"] == "clasp, face up"
    keys = stored()
    assert len(keys) == 2 and any(k.endswith(".thumb.jpg") for k in keys)   # the photo, its thumbnail
    again = upload(jeweler, job["id"], big_jpeg, key="upload-1")          # a retry after a lost answer
    assert again.json()["id"] == photo["id"] and again.headers.get("Idempotent-Replayed") == "true"
    assert stored() == keys and db.scalar("select count(*) from work_order_photos") == 1

    got = shop["sales_associate"].get(photo["url"], timeout=60)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert got.content == big_jpeg
    thumb = jeweler.get(photo["url"] + "/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.format == "JPEG" and max(image.size) == 320 and image.size == (320, 257)
    history = jeweler.get(f"/work-orders/{job['id']}/history").json()["items"]
    assert [h for h in history if h["change"] == "photo_added"]


def test_a_photo_without_a_thumbnail_gets_one_made_on_first_read(workorders, shop, stored):
    body = intake(shop["store"])           # a small photo sent as base64 in the JSON
    job = shop["sales_associate"].post("/work-orders", body).json()
    photo = job["intake"]["photos"][0]
    assert len(stored()) == 1
    thumb = shop["bench_jeweler"].get(photo["url"] + "/thumbnail")
    assert thumb.status_code == 200 and thumb.content.startswith(b"\xff\xd8\xff")
    assert len(stored()) == 2


def _raw_upload(url, path, token, size, first=64 * 1024):
    """The head of a multipart upload announcing ``size`` bytes, a little of
    its body, then the answer: a gateway that waited for it all would hang."""
    host, port = url.split("//")[1].split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n").encode()
    body = (b'--xyz\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0") + b"\0" * first
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer) < 200:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    headers, _, content = answer.partition(b"\r\n\r\n")
    return status, headers.decode("latin-1").lower(), content


def test_a_16_mb_upload_is_413_before_it_is_read_and_other_bodies_keep_1_mib(
        workorders, db, shop, job, stored):
    jeweler, sa = shop["bench_jeweler"], shop["sales_associate"]
    status, headers, content = _raw_upload(jeweler.base, f"/work-orders/{job['id']}/photos",
                                           jeweler.token, 16 * MiB)
    assert status == 413 and "application/problem+json" in headers
    body = json.loads(content[content.index(b"{"):content.rindex(b"}") + 1])
    limit = int(re.search(r"larger than (\d+) bytes", body["detail"]).group(1))
    assert body["status"] == 413 and 15 * MiB < limit < 16 * MiB     # the photo route's own limit
    # the body read to the end, just past the limit: refused as it grows, nothing kept
    over = b"\xff\xd8\xff\xe0" + os.urandom(15 * MiB + 1)
    problem(upload(jeweler, job["id"], over), 413)

    # every other body keeps the 1 MiB limit: another route's JSON...
    problem(sa.post("/work-orders", intake(shop["store"], item_description="x" * (2 * MiB))), 413)
    # ...the photo route's own JSON (base64): only multipart may be larger...
    problem(jeweler.post(f"/work-orders/{job['id']}/photos", {"content_base64": "A" * (2 * MiB)}), 413)
    # ...and a multipart body to a route that takes none
    status, headers, _ = _raw_upload(sa.base, "/work-orders", sa.token, 2 * MiB)
    assert status == 413 and "application/problem+json" in headers
    assert stored() == [] and db.scalar("select count(*) from work_order_photos") == 0
    assert db.scalar("select count(*) from work_orders") == 1


NOT_IMAGES = [
    (b"%PDF-1.4 a scanned form, not a photo" * 1000, "image/jpeg"),    # declared a JPEG: not one
    (b"GIF89a" + b"\0" * 5000, "image/gif"),
    (b"\xff\xd8\xff\xe0 only the first bytes of a JPEG" * 100, "image/jpeg"),
]


def test_what_is_not_an_image_is_refused_and_nothing_is_stored(workorders, db, shop, job, stored):
    for data, content_type in NOT_IMAGES:
        body = problem(upload(shop["bench_jeweler"], job["id"], data, content_type=content_type), 422)
        assert "photo" in body["errors"], data[:10]
    no_file = shop["bench_jeweler"].request("POST", f"/work-orders/{job['id']}/photos",
                                            files={"picture": ("a.jpg", b"\xff\xd8\xff")})
    assert "photo" in problem(no_file, 422)["errors"]
    assert stored() == [] and db.scalar("select count(*) from work_order_photos") == 0


def test_another_stores_job_is_404_and_nothing_is_stored(workorders, db, shop, job, stored):
    small = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(small, "JPEG")
    problem(upload(shop["other_jeweler"], job["id"], small.getvalue()), 404)
    problem(upload(shop["auditor"], job["id"], small.getvalue()), 403)
    assert stored() == [] and db.scalar("select count(*) from work_order_photos") == 0
