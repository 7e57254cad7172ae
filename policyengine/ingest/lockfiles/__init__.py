"""ingest/lockfiles."""
