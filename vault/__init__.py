"""The vault domain core: models, services, settings, CLI."""
