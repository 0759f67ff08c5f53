"""The audit/ package: the RFC 6962 Merkle log, signed checkpoints, proofs and the offline verifier."""
