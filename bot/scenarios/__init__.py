"""Return stories (docs/scenarios.md): a feature of its own that drives every channel."""
