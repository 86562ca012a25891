"""memtui: watch a Linux machine's memory and look inside a live process's memory."""

__version__ = "0.1.0"
