"""RPC request and reply schemas, shared by the gateway (validation at the
edge and the OpenAPI document) and the services (validation again on entry)."""
