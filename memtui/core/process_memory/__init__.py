"""One process's memory: ptrace freezes, reads, mappings, search, save, hex rows."""
