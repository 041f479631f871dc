"""A photo uploaded as multipart to ``POST /work-orders/{id}/photos``
(docs/ARCHITECTURE.md#object-storage): checked by its first bytes and its
size, stored with its thumbnail by the gateway itself, and recorded by the
workorders service from its key alone (the file never crosses RabbitMQ).
A failure after the first write deletes what was written.

Pillow's work runs off the event loop (``run_off_loop``); the store's calls
are green or off the loop by themselves (``chassis.storage``).
"""
import logging

from chassis import images
from chassis.errors import InvalidInput, NotFound, Unavailable
from chassis.storage import BadKey, Missing, run_off_loop

log = logging.getLogger(__name__)

MAX_CAPTION = 200
NO_PHOTO = {"photo": ["send the image file in the field photo"]}


def checked(request, max_bytes, too_large):
    """The uploaded file, its bytes, type and caption; 413 or 422 if refused."""
    upload = request.files.get("photo")
    if upload is None:
        raise InvalidInput("no photo", NO_PHOTO)
    caption = request.form.get("caption", "")
    if len(caption) > MAX_CAPTION:
        raise InvalidInput("caption too long", {"caption": [f"at most {MAX_CAPTION} characters"]})
    if upload.size > max_bytes:
        raise too_large(f"a photo may not be larger than {max_bytes} bytes")
    data = upload.stream.getvalue()
    content_type = images.sniff(data)
    if content_type is None:
        raise InvalidInput("the photo was refused", {"photo": ["not a JPEG, PNG or WebP image"]})
    return upload, data, content_type, caption


def thumbnail_of(data):
    """The photo's thumbnail (off the event loop); 422 if Pillow cannot read it."""
    try:
        return run_off_loop(images.thumbnail, data)
    except images.NotAnImage as exc:
        raise InvalidInput("the photo was refused", {"photo": [str(exc)]}) from None


def store_and_record(storage, upload, content_type, caption, thumb, record):
    """Photo and thumbnail written, then ``record(stored photo)`` (the RPC);
    whatever was written is deleted if a step fails for sure. When the record's
    outcome is unknown (workorders did not answer in time: it may have saved the
    photo), the files stay: a photo row must never point at nothing."""
    key = images.new_photo_key(content_type)
    written = []
    try:
        upload.stream.seek(0)
        storage.put(key, upload.stream, content_type)
        written.append(key)
        storage.put(images.thumbnail_key(key), thumb, images.THUMBNAIL_TYPE)
        written.append(images.thumbnail_key(key))
    except BaseException:
        _forget(storage, written)
        raise
    try:
        return record({"storage_key": key, "content_type": content_type,
                       "size_bytes": upload.size, "sha256": upload.sha256, "caption": caption})
    except Unavailable:
        log.warning("photo %s kept: workorders' answer was lost, it may have recorded it", key)
        raise
    except BaseException:
        _forget(storage, written)
        raise


def _forget(storage, written):
    for stored in written:                   # nothing kept for a photo that was not added
        try:
            storage.delete(stored)
        except Exception:
            log.exception("could not delete %s after a failed upload", stored)


def read(storage, key):
    """A stored file; 404 if it is missing."""
    try:
        return storage.get(key)
    except (Missing, BadKey):
        raise NotFound("the photo's file is missing from storage") from None


def thumbnail(storage, photo_key):
    """A photo's thumbnail; made and kept the first time if it has none."""
    key = images.thumbnail_key(photo_key)
    try:
        return storage.get(key)
    except Missing:
        try:
            thumb = run_off_loop(images.thumbnail, read(storage, photo_key))
        except images.NotAnImage:
            raise NotFound("this photo cannot be shown as a thumbnail") from None
        storage.put(key, thumb, images.THUMBNAIL_TYPE)
        return thumb
