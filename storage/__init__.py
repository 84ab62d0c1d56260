"""Persistence: typed models, sessions, queries, full-text search and migrations."""
