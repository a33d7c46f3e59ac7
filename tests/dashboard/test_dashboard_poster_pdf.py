"""The dashboard's links to the posters' PDF, the routes behind them, and the warning shown
when the QR codes point at an address phones cannot reach."""

import httpx

from tests.conftest import make_settings
from tests.dashboard_helpers import Browser, make_operator
from tests.helpers import Api, Tenant, make_funnel, make_poster, new_tenant
from tests.pdf_helpers import info_of, page_count, qr_codes_on, text_of
from vantio.app import create_app
from vantio.runtime import Runtime

WARNING_ID = 'id="scan-url-warning"'


async def test_the_poster_page_links_its_pdf_and_warns_about_a_local_url(
    signed_in: Browser, api: Api
) -> None:
    funnel = await make_funnel(api)
    poster = funnel.poster
    page = await signed_in.get(f"/dashboard/posters/{poster['id']}")
    assert page.status_code == 200
    # The tests' server is http://testserver: a name phones cannot look up.
    assert WARNING_ID in page.text
    assert "VANTIO_PUBLIC_URL" in page.text
    # Issue 12: the printable page warned of nothing.
    printable = await signed_in.get(f"/dashboard/posters/{poster['id']}/print")
    assert WARNING_ID in printable.text
    assert "VANTIO_PUBLIC_URL" in printable.text
    for paper, size in (("a4", "(A4)"), ("letter", "(letter)")):
        link = f"/dashboard/posters/{poster['id']}/poster.pdf?paper={paper}"
        assert f'href="{link}"' in page.text
        response = await signed_in.get(link)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert page_count(response.content) == 1
        assert info_of(response.content)["Page size"].endswith(size)
        assert "NOT READY TO PRINT" in text_of(response.content)
        assert qr_codes_on(response.content) == [poster["scan_url"]]


async def test_the_program_page_prints_all_its_posters(signed_in: Browser, api: Api) -> None:
    funnel = await make_funnel(api)
    program_id = funnel.program["id"]
    await make_poster(api, program_id, funnel.user["id"], location="Gym")
    page = await signed_in.get(f"/dashboard/programs/{program_id}")
    link = f"/dashboard/programs/{program_id}/posters.pdf?paper=a4"
    assert f'href="{link}"' in page.text
    assert "Print all posters (PDF, A4)" in page.text
    response = await signed_in.get(link)
    assert response.status_code == 200
    assert page_count(response.content) == 2
    assert "Poster location: Gym" in text_of(response.content)
    hidden = await signed_in.get(link + "&ambassador=false")
    assert "Shared by" not in text_of(hidden.content)


async def test_nothing_to_print_and_other_accounts_posters(
    signed_in: Browser, api: Api, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    program = await api.ok(
        "POST", "/api/v1/programs", {"name": "Empty", "landing_url": "https://example.com"}
    )
    empty = await signed_in.get(f"/dashboard/programs/{program['id']}/posters.pdf")
    assert empty.status_code == 409
    assert "has no posters to print yet" in empty.text
    foreign = await make_funnel((await new_tenant(runtime, client)).test)
    for path in (
        f"/dashboard/posters/{foreign.poster['id']}/poster.pdf",
        f"/dashboard/programs/{foreign.program['id']}/posters.pdf",
    ):
        response = await signed_in.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")


async def test_no_warning_when_the_public_url_is_public(
    database_url: str, tenant: Tenant, api: Api
) -> None:
    runtime = Runtime.create(make_settings(database_url, public_url="https://example.org"))
    app = create_app(runtime.settings, runtime)
    browser = Browser(app)
    operator = await make_operator(runtime, tenant.account_id)
    assert (await browser.sign_in(operator.email)).status_code == 303
    try:
        funnel = await make_funnel(api)
        page = await browser.get(f"/dashboard/posters/{funnel.poster['id']}")
        assert page.status_code == 200
        assert f"https://example.org/s/{funnel.poster['code']}" in page.text
        assert WARNING_ID not in page.text
    finally:
        await browser.close()
        await runtime.close()
