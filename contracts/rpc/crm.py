"""Crm RPC schemas."""
