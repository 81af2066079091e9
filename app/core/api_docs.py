"""Swagger UI at `/docs` and ReDoc at `/redoc`, their scripts and styles served by the app.

FastAPI's own pages load them from a CDN and render blank offline or behind a proxy; the
`fastapi-offline` package ships the bundles, and only its files are used here.
"""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs-assets"
ASSETS_PACKAGE = ("fastapi_offline", "static")

# Swagger UI otherwise shows a badge fetched from validator.swagger.io.
SWAGGER_UI_PARAMETERS: dict[str, object] = {"validatorUrl": None}


def add_api_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets; nothing when the app publishes no OpenAPI schema."""
    if app.openapi_url is None:
        return
    app.mount(ASSETS_URL, StaticFiles(packages=[ASSETS_PACKAGE]), name="docs-assets")
    app.add_api_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_api_route(REDOC_URL, redoc, include_in_schema=False)


async def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the app's schema."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        swagger_ui_parameters={
            **(request.app.swagger_ui_parameters or {}),
            **SWAGGER_UI_PARAMETERS,
        },
    )


async def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the app's schema, without Google Fonts."""
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )
