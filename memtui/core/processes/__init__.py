"""Every process on the machine and how its memory changes."""
