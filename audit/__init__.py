"""The audit/ package: the RFC 6962 Merkle log, signed checkpoints, proofs, offline verifier."""
