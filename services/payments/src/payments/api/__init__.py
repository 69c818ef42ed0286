"""HTTP API of the payments service: routers, request/response models, dependencies."""
