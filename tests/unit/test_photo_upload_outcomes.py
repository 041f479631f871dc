"""A photo's files are deleted when workorders refused it, kept when its answer
was lost (it may have recorded the photo: a row must never point at nothing)."""
import io

import pytest

from chassis.errors import Conflict, Unavailable
from gateway.photo_uploads import store_and_record


class Shelf:
    def __init__(self):
        self.files = {}

    def put(self, key, data, content_type):
        self.files[key] = data.read() if hasattr(data, "read") else data

    def delete(self, key):
        self.files.pop(key, None)


class Upload:
    stream, size, sha256 = io.BytesIO(b"\xff\xd8\xff photo"), 9, "0" * 64


def attempt(answer):
    shelf = Shelf()

    def record(stored):
        raise answer
    with pytest.raises(type(answer)):
        store_and_record(shelf, Upload(), "image/jpeg", "", b"thumb", record)
    return shelf.files


def test_a_refused_photo_leaves_no_file():
    assert attempt(Conflict("the job already has 40 photos")) == {}


def test_a_photo_whose_answer_was_lost_keeps_its_files():
    kept = attempt(Unavailable("workorders did not answer within 4s"))
    assert len(kept) == 2 and b"\xff\xd8\xff photo" in kept.values()
