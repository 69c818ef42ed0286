"""HTTP API of the analytics service: routers, request/response models, dependencies."""
