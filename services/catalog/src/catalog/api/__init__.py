"""HTTP API of the catalog service: routers, request/response models, dependencies."""
