"""Facts the crm service publishes."""
