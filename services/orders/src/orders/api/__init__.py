"""HTTP API of the orders service: routers, request/response models, dependencies."""
