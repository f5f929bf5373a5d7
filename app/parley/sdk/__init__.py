"""parley.sdk"""
