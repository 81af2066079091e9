"""405 answers whose `Allow` header lists every method of the path.

Starlette answers 405 from the first route whose path matches, so `Allow` named only that
route's methods (`OPTIONS /items` → `Allow: POST` while `GET /items` exists too).
"""

from http import HTTPMethod
from typing import cast

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope


def allowed_methods(request: Request) -> list[str]:
    """The methods the app's routes accept on the request's path, asked as routing asks."""
    # A mounted app (static files) matches every method and answers 405 for itself.
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    return [
        method
        for method in HTTPMethod
        if any(_accepts(route, request.scope, method) for route in routes)
    ]


def _accepts(route: BaseRoute, scope: Scope, method: str) -> bool:
    match, _ = route.matches({**scope, "method": method})
    return match is Match.FULL


async def method_not_allowed_handler(request: Request, exc: Exception) -> JSONResponse:
    """`{"detail": ...}` as every error, with all the path's methods in `Allow`."""
    error = cast(HTTPException, exc)  # registered for the 405 status, raised as HTTPException
    methods = allowed_methods(request)
    headers = {"Allow": ", ".join(methods)} if methods else error.headers
    return JSONResponse({"detail": error.detail}, status_code=405, headers=headers)
