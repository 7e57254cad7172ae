"""Alembic migrations of the inventory, shipped with the package and run by ``open_store``."""
