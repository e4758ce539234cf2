"""explorer/quality."""
