"""`/docs` (Swagger UI) and `/redoc` (ReDoc), their scripts and styles served from the package:
they work offline and behind a firewall, and load nothing from a CDN.

The files in `static/` are copied unchanged from the npm packages named in `static/VERSIONS`
(`npm pack swagger-ui-dist redoc`); each keeps its licence beside it.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = "/docs/assets"


def install_docs(app: FastAPI, *, home: str) -> None:
    """Serve the API documentation from the package, and send `/` to `home` (the dashboard)."""
    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            redoc_js_url=f"{ASSETS}/redoc/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/swagger-ui/favicon-32x32.png",
            with_google_fonts=False,
        )

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> RedirectResponse:
        # A browser meets the dashboard; an API client gets the same 302 and a Location to read.
        return RedirectResponse(home, status_code=302)
