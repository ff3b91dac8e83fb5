"""The HTTP API (ASGI, FastAPI) over the same library as the CLI."""
