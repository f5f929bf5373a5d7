"""parley.qt"""
