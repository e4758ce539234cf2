"""explorer/reports."""
