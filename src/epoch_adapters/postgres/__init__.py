"""PostgreSQL: schema (Alembic migrations), repositories and the unit of work."""
