"""Facts the workorders service publishes."""
