"""Headless subcommands. They import only the core, never textual, so they start fast."""
