"""The storage/ package: the ObjectStore protocol and its filesystem and S3 backends."""
