# syncdesk: `just --list` is the manual.

uv := env("UV", "uv")
# Debian 12's Python: its asyncio (sslproto) differs from later 3.11s, and a stock Debian 12 runs it.
oldest_python := "3.11.2"
# The TLS proxy (ssl, asyncio streams, a loop in a thread), the refusing PostgreSQL proxy (an
# asyncio server), and signals across subprocesses (`just dev`, SIGTERM to the app and workers).
oldest_python_tests := "tests/db/test_tls.py tests/reliability/test_refusals.py tests/devstack/test_dev.py tests/test_main.py::test_sigterm_lets_in_flight_requests_finish_and_exits_cleanly tests/test_serve.py::test_sigterm_refuses_new_connections_while_every_worker_finishes_its_requests"

# The test recipes compile the environment's bytecode first: the suite starts dozens of Python processes,
# and where PYTHONDONTWRITEBYTECODE is set (many containers set it) each would compile its imports
# from source again, 2.7 s of CPU apiece (a fresh clone's `just test` took twice as long). The
# project's own packages too (uv compiles only the environment's): 0.15-0.2 s of each app start.
compile_project := "python -m compileall -q app devstack tests bench"
# pytest caches the test modules it rewrites (for its assertion messages) only where bytecode may
# be written: with PYTHONDONTWRITEBYTECODE set, each pytest process rewrote them all again, 1.3 s of CPU.
pytest_writes_bytecode := "PYTHONDONTWRITEBYTECODE="

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
    {{uv}} run --locked --compile-bytecode --group test {{compile_project}}
    {{pytest_writes_bytecode}} {{uv}} run --locked --group test pytest -n 4 --dist worksteal {{args}}

# The quick loop: every test but the slow ones (app processes, fault injection, timeouts)
test-fast *args:
    {{uv}} run --locked --compile-bytecode --group test {{compile_project}}
    {{pytest_writes_bytecode}} {{uv}} run --locked --group test pytest -n 2 --dist worksteal -m "not slow" {{args}}

# The tests that lean on asyncio, ssl, signals and subprocesses, on the oldest Python the README promises (Debian 12's 3.11.2)
test-oldest-python *args:
    UV_PROJECT_ENVIRONMENT=.venv-{{oldest_python}} VIRTUAL_ENV= {{uv}} run --locked --python {{oldest_python}} --compile-bytecode --group test {{compile_project}}
    {{pytest_writes_bytecode}} UV_PROJECT_ENVIRONMENT=.venv-{{oldest_python}} VIRTUAL_ENV= {{uv}} run --locked --python {{oldest_python}} --group test pytest -n 2 {{oldest_python_tests}} {{args}}

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
    {{uv}} run --locked python -m bench.drivers

# Resident memory of one production worker, idle and under wrk load: the Kubernetes memory figures (about 40 s)
bench-memory:
    {{uv}} run --locked --group test python -m bench.memory

# Check style and types (ruff check, ruff format --check, mypy), .github's files against their schemas, and the Kubernetes manifests, offline
lint: && lint-kubernetes
    {{uv}} run --locked --group lint ruff check .
    {{uv}} run --locked --group lint ruff format --check .
    {{uv}} run --locked --group lint mypy
    {{uv}} run --locked --group lint check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
    {{uv}} run --locked --group lint check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

# Render every deploy/kubernetes overlay and validate it offline, strictly, against pinned Kubernetes schemas
lint-kubernetes:
    {{uv}} run --locked --group lint python -m devstack.manifests

# Regenerate docs/settings.md's table and .env.example from app/core/config.py
docs:
    {{uv}} run --locked python -m devstack.settings_docs

# Format the code and apply safe lint fixes
fmt:
    {{uv}} run --locked --group lint ruff format .
    {{uv}} run --locked --group lint ruff check --fix .

import 'docker/containers.just'
