"""parley.qt: the one bridge between the Qt-free SDK and the widgets.

Importing it first protects the process from a PySide6 6.12 bug on Python 3.11
(see ``parley.qt.refcounts``): every Qt entry point imports this package.
"""

from parley.qt.refcounts import immortalize_singletons

immortalize_singletons()
