"""The crypto/ package: age v1, keys, Ed25519 signatures and streaming digests.

Standard library and PyNaCl only (an import-linter contract enforces it).
"""
