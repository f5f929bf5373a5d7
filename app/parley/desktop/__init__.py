"""parley.desktop"""
