"""parley.server"""
