# syncdesk: `just --list` is the manual.

uv := env("UV", "uv")

# List the recipes
default:
    @just --list

# Run the app with reload on throwaway PostgreSQL and MongoDB (or on POSTGRES_HOST/MONGO_HOST when set)
[no-exit-message]
dev:
    {{uv}} run --locked python -m devstack.dev

# Serve the app as in production: WEB_CONCURRENCY workers (one per CPU unless set), no reload; `just migrate` first
serve *args:
    {{uv}} run --locked python -m app.serve {{args}}

# Run the whole test suite against real servers (throwaway ones unless POSTGRES_HOST/MONGO_HOST name servers)
test *args:
    {{uv}} run --locked --group test pytest -n 4 {{args}}

# The quick loop: every test but the slow ones (app processes, fault injection, timeouts)
test-fast *args:
    {{uv}} run --locked --group test pytest -n 2 -m "not slow" {{args}}

# Upgrade the database (POSTGRES_* settings) to the latest migration; safe from several replicas at once
migrate:
    {{uv}} run --locked python -m app.migrations

# Write a migration for what the models changed since the last one: just revision "add tags"
[positional-arguments]
revision message:
    {{uv}} run --locked python -m app.migrations.autogenerate "$1"

# Benchmark the example routes against bare asyncpg and AsyncMongoClient routes (needs wrk; about 6 minutes)
bench:
    {{uv}} run --locked python -m bench.run

# Where GET /items/{id} spends its CPU, piece by piece, in-process (about 30 s)
bench-breakdown:
    {{uv}} run --locked python -m bench.breakdown

# Client CPU per find_one on Motor and on PyMongo's async API, in-process (about 30 s)
bench-drivers:
    {{uv}} run --locked python -m bench.drivers

# Check style and types: ruff check, ruff format --check, mypy
lint:
    {{uv}} run --locked --group lint ruff check .
    {{uv}} run --locked --group lint ruff format --check .
    {{uv}} run --locked --group lint mypy

# Regenerate docs/settings.md's table and .env.example from app/core/config.py
docs:
    {{uv}} run --locked python -m devstack.settings_docs

# Format the code and apply safe lint fixes
fmt:
    {{uv}} run --locked --group lint ruff format .
    {{uv}} run --locked --group lint ruff check --fix .

import 'docker/containers.just'
