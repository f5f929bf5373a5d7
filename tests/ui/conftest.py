from tests.qt.support import app_settings, qloop  # noqa: F401 - fixtures
