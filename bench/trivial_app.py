"""The cold-start reference: a FastAPI app with one route and nothing else."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
