"""What the screens show, derived from the sources: the dashboard's state and its charts' series."""
