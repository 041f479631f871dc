"""chassis.storage: the same put/get/delete under both backends, a local
folder and an S3-compatible server (moto's, started by the fixture)."""
import io
import os
import time

import eventlet
import pytest
from PIL import Image

from chassis import images, storage
from chassis.errors import Unavailable
from chassis.storage import BadKey, LocalFolder, Missing, OffLoop, S3Bucket, run_off_loop


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return OffLoop(LocalFolder(str(tmp_path / "objects")))
    server = request.getfixturevalue("s3_server")
    settings = storage.load(server.settings(server.new_bucket()).get)
    opened = storage.open_store(settings)
    assert isinstance(opened, S3Bucket)
    return opened


def test_put_get_delete_round_trip(store):
    data = os.urandom(3 * 1024 * 1024 + 17)           # more than one chunk of a stream
    store.put("ab/one.jpg", data, "image/jpeg")
    store.put("ab/two.png", io.BytesIO(data[:1000]), "image/png")   # a stream, read in chunks
    assert store.get("ab/one.jpg") == data
    assert store.get("ab/two.png") == data[:1000]
    store.put("ab/one.jpg", b"replaced", "image/jpeg")
    assert store.get("ab/one.jpg") == b"replaced"
    store.delete("ab/one.jpg")
    with pytest.raises(Missing):
        store.get("ab/one.jpg")
    store.delete("ab/one.jpg")                         # deleting what is gone is no error
    assert store.get("ab/two.png") == data[:1000]


@pytest.mark.parametrize("key", ["../etc/passwd", "ab/../../x.jpg", "/abs.jpg", "", "a//b",
                                 "ab/.hidden/../x", "a b.jpg", "x" * 600])
def test_odd_keys_are_refused(store, key):
    with pytest.raises(BadKey):
        store.put(key, b"data", "image/jpeg")
    with pytest.raises(BadKey):
        store.get(key)


def test_a_local_put_leaves_no_partial_file(tmp_path):
    folder = LocalFolder(str(tmp_path))

    class Broken(io.BytesIO):
        def read(self, size=-1):
            if self.tell() > 0:
                raise OSError("the client went away")
            return super().read(4)

    with pytest.raises(OSError):
        folder.put("ab/cut.jpg", Broken(b"\xff\xd8\xff\xe0 and more"), "image/jpeg")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_settings_choose_the_backend_and_read_the_old_photo_dir():
    def get(given):
        return lambda name, default=None: given.get(name, default)

    assert storage.load(get({})) == storage.Settings("local", os.path.join("var", "storage"),
                                                    None, None, None)
    assert storage.load(get({"PHOTO_DIR": "/srv/photos"})).directory == "/srv/photos"
    assert storage.load(get({"PHOTO_DIR": "/old", "STORAGE_DIR": "/new"})).directory == "/new"
    s3 = storage.load(get({"STORAGE_BACKEND": "S3", "S3_BUCKET": "b", "S3_REGION": "eu-west-1",
                           "S3_ENDPOINT_URL": "http://minio:9000"}))
    assert (s3.backend, s3.bucket, s3.region, s3.endpoint_url) == \
        ("s3", "b", "eu-west-1", "http://minio:9000")
    for wrong in ({"STORAGE_BACKEND": "s3"}, {"STORAGE_BACKEND": "ftp"}):
        with pytest.raises(ValueError):
            storage.load(get(wrong))


def _longest_pause(work):
    """How long ``work`` took, and the longest the event loop stood still meanwhile."""
    gaps, done = [], []

    def ticker():
        last = time.monotonic()
        while not done:
            eventlet.sleep(0.002)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    thread = eventlet.spawn(ticker)
    eventlet.sleep(0.01)
    started = time.monotonic()
    work()
    took = time.monotonic() - started
    done.append(True)
    thread.wait()
    return took, max(gaps)


def test_thumbnails_and_file_writes_leave_the_event_loop_free(tmp_path):
    w, h = 2800, 2250
    out = io.BytesIO()
    Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(out, "PNG", compress_level=1)
    photo = out.getvalue()                               # a 19 MB PNG: Pillow works a while
    took, pause = _longest_pause(lambda: images.thumbnail(photo))
    assert pause > took * 0.8                            # in the greenthread: everything waits
    took, pause = _longest_pause(lambda: run_off_loop(images.thumbnail, photo))
    assert took > 0.02 and pause < took / 2              # off the loop: the others run meanwhile
    store = OffLoop(LocalFolder(str(tmp_path)))
    took, pause = _longest_pause(lambda: [store.put(f"ab/{n}.png", photo, "image/png") for n in range(3)])
    assert pause < max(took / 2, 0.02)
    with Image.open(io.BytesIO(run_off_loop(images.thumbnail, store.get("ab/0.png")))) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (320, 257)


def test_a_store_that_cannot_be_reached_or_written_is_503_not_500(tmp_path, s3_server):
    from nameko.testing.utils import find_free_port

    nowhere = S3Bucket("photos", f"http://127.0.0.1:{find_free_port()}", "us-east-1", attempts=1)
    missing_bucket = S3Bucket("no-such-bucket", s3_server.url, "us-east-1", attempts=1)
    not_a_folder = tmp_path / "a-file"    # a file where the folder should be: refused to anyone
    not_a_folder.write_bytes(b"")
    for store in (nowhere, missing_bucket, OffLoop(LocalFolder(str(not_a_folder / "sub")))):
        with pytest.raises(Unavailable) as refused:
            store.put("ab/x.jpg", b"\xff\xd8\xff", "image/jpeg")
        assert refused.value.status == 503
    with pytest.raises(Unavailable):
        nowhere.get("ab/x.jpg")
