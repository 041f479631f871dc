"""The gateway never signs with a secret written in the source: without
JWT_SECRET each process makes a random one of its own."""
from gateway.settings import load


def settings_from(values):
    return load(lambda name, default=None: values.get(name, default))


def test_without_a_secret_each_process_signs_with_a_random_one_of_its_own():
    first, second = settings_from({}), settings_from({})
    assert len(first.jwt_secret) >= 32 and first.jwt_secret != second.jwt_secret


def test_a_configured_secret_is_the_one_used():
    assert settings_from({"JWT_SECRET": "s" * 40}).jwt_secret == "s" * 40
    assert settings_from({"JWT_SECRET": ""}).jwt_secret != ""
