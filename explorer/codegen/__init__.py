"""explorer/codegen."""
