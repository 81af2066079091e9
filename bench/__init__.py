"""`just bench`: the example routes side by side with a bare asyncpg route."""
