"""parley.ui"""
