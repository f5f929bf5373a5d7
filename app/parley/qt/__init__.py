"""parley.qt: the one bridge between the Qt-free SDK and the widgets."""
