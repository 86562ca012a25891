"""The Textual-free core: reads /proc and drives ptrace. Never import textual here."""
