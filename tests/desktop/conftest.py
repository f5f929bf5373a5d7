from tests.qt.support import (  # noqa: F401 - fixtures
    app_settings,
    bots,
    make_app,
    qloop,
    servers,
    session_qloop,
)
