"""explorer/engine/formats."""
