"""System memory: /proc/meminfo parsed, its fields' meanings, their history and trends."""
