"""Workorders RPC schemas."""
