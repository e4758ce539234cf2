"""explorer/engine."""
