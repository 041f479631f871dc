"""Facts the payments service publishes."""
