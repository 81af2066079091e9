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
    {{uv}} run --frozen python -m app.serve {{args}}

# Run the whole test suite against real servers (throwaway ones unless POSTGRES_HOST/MONGO_HOST name servers)
test *args:
    {{uv}} run --locked pytest -n 4 {{args}}

# The quick loop: every test but the slow ones (app processes, fault injection, timeouts)
test-fast *args:
    {{uv}} run --locked pytest -n 2 -m "not slow" {{args}}

# Upgrade the database POSTGRES_* names to the latest migration (none named: check them on a throwaway server)
migrate:
    {{uv}} run --locked python -m devstack.migrations upgrade

# Write a migration for what the models changed: just revision "add tags" (on a throwaway server unless POSTGRES_* name one)
[positional-arguments]
revision message:
    {{uv}} run --locked python -m devstack.migrations revision "$1"

# Benchmark the example routes against bare asyncpg and AsyncMongoClient routes (needs wrk; about 9 minutes)
bench:
    {{uv}} run --locked python -m bench.run

# Where GET /items/{id} spends its CPU, piece by piece, in-process (about 30 s)
bench-breakdown:
    {{uv}} run --locked python -m bench.breakdown

# Client CPU per find_one on Motor and on PyMongo's async API, in-process (about 30 s)
bench-drivers:
    {{uv}} run --frozen python -m bench.drivers

# Resident memory of one production worker, idle and under wrk load: the Kubernetes memory figures (about 40 s)
bench-memory:
    {{uv}} run --locked python -m bench.memory

# Check style and types (ruff check, ruff format --check, mypy) and the Kubernetes manifests
lint: && lint-kubernetes
    {{uv}} run --locked ruff check .
    {{uv}} run --locked ruff format --check .
    {{uv}} run --locked mypy

# Render every deploy/kubernetes overlay and validate it offline, strictly, against pinned Kubernetes schemas
lint-kubernetes:
    {{uv}} run --locked python -m devstack.manifests

# Regenerate docs/settings.md's table and .env.example from app/core/config.py
docs:
    {{uv}} run --locked python -m devstack.settings_docs

# Format the code and apply safe lint fixes
fmt:
    {{uv}} run --locked ruff format .
    {{uv}} run --locked ruff check --fix .

import 'docker/containers.just'
