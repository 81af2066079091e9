# syncdesk: `just --list` is the manual.

uv := env("UV", "uv")

# List the recipes
default:
    @just --list

# Run the app with reload on throwaway PostgreSQL and MongoDB (or on POSTGRES_HOST/MONGO_HOST when set)
[no-exit-message]
dev:
    {{uv}} run --frozen python -m devstack.dev

# Run the whole test suite against real servers (throwaway ones unless POSTGRES_HOST/MONGO_HOST name servers)
test *args:
    {{uv}} run --frozen pytest {{args}}

# Benchmark the example routes against bare asyncpg and AsyncMongoClient routes (needs wrk; about 6 minutes)
bench:
    {{uv}} run --frozen python -m bench.run

# Where GET /items/{id} spends its CPU, piece by piece, in-process (about 30 s)
bench-breakdown:
    {{uv}} run --frozen python -m bench.breakdown

# Client CPU per find_one on Motor and on PyMongo's async API, in-process (about 30 s)
bench-drivers:
    {{uv}} run --frozen python -m bench.drivers

# Check style and types: ruff check, ruff format --check, mypy
lint:
    {{uv}} run --frozen ruff check .
    {{uv}} run --frozen ruff format --check .
    {{uv}} run --frozen mypy

# Format the code and apply safe lint fixes
fmt:
    {{uv}} run --frozen ruff format .
    {{uv}} run --frozen ruff check --fix .

import 'docker/containers.just'
