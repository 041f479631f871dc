"""Facts the notifications service publishes."""
