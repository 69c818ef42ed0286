"""HTTP API of the shipping service: routers, request/response models, dependencies."""
