"""Intake of new figures and quotes: validation and spreadsheets, with no database and no Slack."""
