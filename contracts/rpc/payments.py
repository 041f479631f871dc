"""Payments RPC schemas."""
