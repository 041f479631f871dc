"""make run's secrets: generated once into a file only its owner may read,
reused afterwards, never written in the source (scripts.local_secrets)."""
import fnmatch
import os
import pathlib
import stat

import pytest

from scripts import local_secrets
from scripts.chain import ROOT


@pytest.fixture
def no_umask():
    old = os.umask(0)   # a file created 0600 stays 0600; one created wider would show it
    yield
    os.umask(old)


def test_generated_on_first_run_owner_only_and_reused(tmp_path, no_umask):
    path = tmp_path / ".local-secrets.env"
    first = local_secrets.ensure(str(path))
    assert set(first) == {"JWT_SECRET", "STRIPE_WEBHOOK_SECRET"}
    assert len(first["JWT_SECRET"]) >= 43 and first["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local_secrets.ensure(str(path)) == first
    assert local_secrets.ensure(str(tmp_path / "other.env")) != first   # random, not written anywhere


def test_a_missing_secret_is_added_and_the_others_kept(tmp_path, no_umask):
    path = tmp_path / ".local-secrets.env"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"JWT_SECRET=kept-" + b"x" * 40 + b"\n")
    os.close(fd)
    values = local_secrets.ensure(str(path))
    assert values["JWT_SECRET"] == "kept-" + "x" * 40 and values["STRIPE_WEBHOOK_SECRET"]
    assert local_secrets.read(str(path)) == values
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_file_others_may_read_is_refused(tmp_path):
    path = tmp_path / ".local-secrets.env"
    local_secrets.ensure(str(path))
    path.chmod(0o640)
    with pytest.raises(local_secrets.UnsafeSecretsFile, match="chmod 600"):
        local_secrets.ensure(str(path))


def test_the_environment_wins(tmp_path):
    path = str(tmp_path / ".local-secrets.env")
    laid = local_secrets.environment(path, environ={"JWT_SECRET": "mine"})
    assert set(laid) == {"STRIPE_WEBHOOK_SECRET"}


def test_the_file_is_git_ignored():
    patterns = (pathlib.Path(ROOT) / ".gitignore").read_text().split()
    name = os.path.basename(local_secrets.PATH)
    assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns)
    assert any(fnmatch.fnmatch(name + ".123.tmp", pattern) for pattern in patterns)
