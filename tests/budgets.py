"""Time budgets: each is a configured timeout plus this stated margin, or a figure the HTTP
contract names (3 s for a 503, 10 s for a clean SIGTERM), which is kept as is."""

# A Python process starting (interpreter, imports, uvicorn) and exiting, on a loaded 2-core
# machine: the part of a measured duration that no setting bounds.
PROCESS_MARGIN_SECONDS = 10.0
