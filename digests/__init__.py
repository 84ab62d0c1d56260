"""Scheduled digests of newly published figures: parsing, scheduling, summarising and rendering."""
