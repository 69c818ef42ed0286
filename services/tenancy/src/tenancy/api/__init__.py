"""HTTP API of the tenancy service: routers, request/response models, dependencies."""
