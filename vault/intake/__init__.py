"""Intake: the streaming pipeline from request body to sealed, stored object."""
