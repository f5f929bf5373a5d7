from tests.qt.support import app_settings, call_server, qloop  # noqa: F401 - fixtures
