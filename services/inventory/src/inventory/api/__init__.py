"""HTTP API of the inventory service: routers, request/response models, dependencies."""
