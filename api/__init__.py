"""The HTTP API (FastAPI), thin over vault/."""
