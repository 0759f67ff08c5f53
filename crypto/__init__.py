"""The crypto/ package: age v1, keys, Ed25519 signatures and streaming digests (stdlib + PyNaCl only)."""
