"""The leak verdict and its evidence: which process grows, and which of its mappings."""
