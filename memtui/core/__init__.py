"""The Textual-free core: reads /proc and drives ptrace. Never import textual here.

Data flows one way: sources (live /proc, a recording store) feed the model, and
the screens, the CLI and the exporter only render it.

- ``meminfo``: /proc/meminfo parsed, its fields, history and trends;
- ``processes``: every process and the growth of its memory;
- ``process_memory``: one process's memory: ptrace, reads, mappings, search;
- ``leak``: the leak verdict and its evidence;
- ``store``: recordings;
- ``model``: what the screens show.
"""
