"""Recordings: what `memtui record` writes and `memtui --replay` reads."""
