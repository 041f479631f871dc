"""Notifications RPC schemas."""
