# syncdesk: `just --list` is the manual.

uv := env("UV", "uv")

# List the recipes
default:
    @just --list

# Run the app with reload against throwaway local PostgreSQL and MongoDB (no Docker needed)
dev:
    {{uv}} run --frozen python -m devstack.dev

# Run the whole test suite against real servers (throwaway ones unless POSTGRES_HOST/MONGO_HOST name servers)
test *args:
    {{uv}} run --frozen pytest {{args}}

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
