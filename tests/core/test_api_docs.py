"""`/docs` and `/redoc` load every script and style from the app itself, never a CDN."""

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.core.api_docs import add_api_docs
from app.main import create_app

BASE_URL = "http://test"
URL_ATTRIBUTES = ("src", "href", "spec-url")
CONTENT_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}


class ResourceLinks(HTMLParser):
    """Collects the URLs a page loads: `src`, `href`, and ReDoc's `spec-url`."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]


def resource_links(html: str) -> list[str]:
    parser = ResourceLinks()
    parser.feed(html)
    return parser.urls


def script_urls(html: str) -> list[str]:
    """Swagger UI's page names its schema inside a script, not in an attribute."""
    return [part.split("'")[1] for part in html.split("url: ")[1:]]


@pytest.fixture
async def docs_client() -> AsyncIterator[AsyncClient]:
    """The app in process; the docs pages touch no database, so none is needed."""
    transport = ASGITransport(app=create_app())
    async with AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_page_references_no_external_host(docs_client: AsyncClient, page: str) -> None:
    response = await docs_client.get(page)

    assert response.status_code == 200
    links = resource_links(response.text)
    assert links, "the page loads no script or style"
    assert [url for url in links if urlsplit(url).netloc not in ("", "test")] == []
    assert "//" not in "".join(script_urls(response.text))


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_assets_are_served_by_the_app(docs_client: AsyncClient, page: str) -> None:
    html = (await docs_client.get(page)).text

    for url in resource_links(html):
        response = await docs_client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rfind(".") :]
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert len(response.content) > 1000, url


async def test_swagger_ui_shows_no_online_validator_badge(docs_client: AsyncClient) -> None:
    html = (await docs_client.get("/docs")).text

    assert '"validatorUrl": null' in html


async def test_docs_pages_follow_the_root_path() -> None:
    transport = ASGITransport(app=create_app(), root_path="/api")
    async with AsyncClient(transport=transport, base_url=BASE_URL) as client:
        html = (await client.get("/api/docs")).text

    assert all(url.startswith("/api/") for url in resource_links(html))
    assert "url: '/api/openapi.json'" in html


async def test_no_docs_pages_when_the_schema_is_off() -> None:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    add_api_docs(app)

    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url=BASE_URL) as client:
        for path in ("/docs", "/redoc", "/docs-assets/swagger-ui.css"):
            assert (await client.get(path)).status_code == 404, path
