"""Process wiring: settings, the Bolt app factory, and the ways to run it (HTTP, Socket Mode, console)."""
