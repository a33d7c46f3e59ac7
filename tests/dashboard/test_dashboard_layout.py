"""Empty states that say what to do next, the favicon, filters that fold away, the width."""

from tests.dashboard_helpers import Browser
from tests.helpers import Api, make_funnel


async def test_live_mode_without_data_says_what_to_do_next(signed_in: Browser, api: Api) -> None:
    await make_funnel(api)  # test mode has data; live mode has none
    test_mode = await signed_in.get("/dashboard/")
    assert 'id="next-steps"' not in test_mode.text  # everything is there
    await signed_in.post("/dashboard/mode", {"mode": "live", "next": "/dashboard/"})
    live = await signed_in.get("/dashboard/")
    assert "Set up live mode" in live.text
    for step in ("program", "ambassador", "poster"):
        assert f'id="step-{step}" class="todo"' in live.text
    assert 'id="step-key" class="done"' in live.text  # the tenant's live key
    assert 'href="/dashboard/programs/new">Create a program' in live.text
    for path, words in (
        ("/dashboard/referrals", "No referrals yet."),
        ("/dashboard/earnings", "No earnings yet."),
        ("/dashboard/payouts", "No payouts yet."),
        ("/dashboard/ambassadors", "No programs yet."),
        ("/dashboard/vouchers", "No vouchers yet."),
        ("/dashboard/webhooks", "No webhook endpoints in this mode yet."),
    ):
        page = await signed_in.get(path)
        assert words in page.text, path
        assert "Next step:" in page.text, path


async def test_favicon_and_folding_filters(signed_in: Browser, api: Api) -> None:
    await make_funnel(api)
    page = await signed_in.get("/dashboard/referrals")
    assert '<link rel="icon" href="/dashboard/static/favicon.svg"' in page.text
    icon = await signed_in.get("/dashboard/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    # The filters fold into <details>, after the list in the page (a phone shows the list
    # first); open when a filter is set.
    assert '<details class="filters-box" id="filters-box"  data-open-wide>' in page.text
    assert page.text.index('class="listing-main"') < page.text.index('id="filters-box"')
    filtered = await signed_in.get("/dashboard/referrals", status="pending")
    assert '<details class="filters-box" id="filters-box" open data-open-wide>' in filtered.text
    assert "Filters (1 active)" in filtered.text
