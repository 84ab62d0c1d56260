"""Slash commands: each module turns command text into a Block Kit reply, with no Slack I/O."""
