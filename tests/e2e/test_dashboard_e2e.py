"""The dashboard in a real headless Chromium against a real `vantio serve` (temp SQLite, free port).

Follows a program owner: first-start link, sign in, program, ambassador, poster, a scan of the
poster's URL, a referral through the API, and the funnel and lists changing. CSRF and sign-in
protection are checked from the browser too. Screenshots go to docs/screenshots/ (the README
shows them) when VANTIO_SCREENSHOTS=1.
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
VANTIO = str(Path(sys.executable).parent / "vantio")
# The README's screenshots are refreshed with VANTIO_SCREENSHOTS=1; other runs keep the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("VANTIO_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "vantio-e2e-screenshots"
)
# Headless Chromium says "HeadlessChrome", which the scan counts as a bot: the browser speaks as a
# person's phone would.
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
    "Safari/537.36"
)
PASSWORD = "e2e password that is long"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (.ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`vantio serve` in a subprocess; its output is collected while it runs."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VANTIO_")}
        env.update(
            PYTHONUNBUFFERED="1",
            VANTIO_DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'e2e.db'}",
            VANTIO_PUBLIC_URL=self.base,
            # The endpoint page's test sends to a receiver on this machine.
            VANTIO_WEBHOOK_ALLOW_PRIVATE="true",
        )
        self.env = env
        self.process = subprocess.Popen(  # noqa: S603 - our own console script
            [VANTIO, "serve", "--port", str(self.port), "--no-worker"],
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("vantio serve exited:\n" + "".join(self.output))
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError("vantio serve did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("e2e"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def figure(page: object, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text()  # type: ignore[attr-defined,no-any-return]


def test_a_program_owners_first_morning(server: Server, chromium: object) -> None:
    from playwright.sync_api import expect

    printed = "".join(server.output)
    link = re.search(r"(http://\S+/dashboard/setup\?token=\S+)", printed)
    secret = re.search(r"(sk_test_[A-Za-z0-9]+)", printed)
    assert link, printed
    assert secret, printed

    context = chromium.new_context(  # type: ignore[attr-defined]
        user_agent=DESKTOP_UA, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)

    # Signed-out visitors only ever see the sign-in page.
    page.goto(f"{server.base}/dashboard/referrals")
    expect(page).to_have_url(re.compile(r"/dashboard/signin\?next="))

    # The one-time link printed at first start creates the first operator.
    page.goto(link.group(1))
    page.get_by_label("Email").fill("owner@example.com")
    page.locator("#f-password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create and sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.locator("#mode")).to_have_text("Test data")
    page.get_by_role("button", name="Sign out owner@example.com").click()

    # Sign in with a wrong password, then the right one.
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#password-error")).to_have_text("The email or password is not right.")
    shot(page, "signin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert figure(page, "scans") == "0"

    # A program: the form shows errors next to the fields, then creates it.
    page.get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("Campus Ambassadors")
    page.get_by_label("Landing page").fill("example.com/join")
    page.get_by_role("button", name="Create program").click()
    expect(page.locator("#landing_url-error")).to_contain_text("Enter a web address")
    page.get_by_label("Landing page").fill(f"{server.base}/openapi.json")
    page.get_by_label("Percentage").fill("15")
    page.get_by_label("Schedule").select_option("monthly")
    page.get_by_label("Minimum payout").fill("20")
    page.get_by_role("button", name="Create program").click()
    expect(page.locator(".alert.ok")).to_have_text("Saved.")

    # An ambassador and a poster with its QR code.
    page.get_by_role("link", name="Ambassadors", exact=True).first.click()
    page.get_by_role("link", name="New ambassador").click()
    page.get_by_label("Program").select_option(label="Campus Ambassadors")
    page.get_by_label("First name").fill("Maya")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Email").fill("maya@example.edu")
    page.get_by_role("button", name="Create ambassador").click()
    expect(page.get_by_role("heading", name="Maya Okafor")).to_be_visible()
    page.get_by_label("Location").first.fill("Library - First Floor")
    page.get_by_role("button", name="Create poster").click()
    expect(page.get_by_role("heading", name="Poster: Library - First Floor")).to_be_visible()
    expect(page.locator(".qr-image svg")).to_be_visible()
    scan_url = page.locator("#scan-url").inner_text()
    shot(page, "poster")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PNG").click()
    assert download.value.suggested_filename.endswith("-qr.png")
    page.get_by_role("link", name="Printable A4 poster").click()
    expect(page.get_by_role("heading", name="Campus Ambassadors")).to_be_visible()
    expect(page.get_by_text("Library - First Floor")).to_be_visible()
    shot(page, "print")

    # Someone scans the poster: the redirect carries the impression to credit.
    scan = context.request.get(scan_url, max_redirects=0, headers={"User-Agent": PHONE_UA})
    assert scan.status == 302
    impression_id = re.search(r"impression_id=(imp_[0-9a-z]+)", scan.headers["location"])
    assert impression_id, scan.headers

    # They sign up on the website, whose backend tells Vantio through the API.
    created = httpx.post(
        f"{server.base}/api/v1/referrals",
        headers={"Authorization": f"Bearer {secret.group(1)}"},
        json={
            "impression_id": impression_id.group(1),
            "first_name": "Jordan",
            "last_name": "Lee",
            "email": "jordan@example.com",
        },
        timeout=10,
    )
    assert created.status_code == 200, created.text

    # The funnel and the lists change.
    page.goto(f"{server.base}/dashboard/")
    assert figure(page, "scans") == "1"
    assert figure(page, "referrals") == "1"
    assert figure(page, "converted") == "0"
    expect(page.get_by_role("link", name="Maya Okafor")).to_be_visible()
    page.get_by_role("link", name="Referrals").click()
    row = page.locator("tr", has_text="Jordan Lee")
    expect(row.locator(".status")).to_have_text("pending")
    expect(row.get_by_role("button")).to_have_text(["Mark converted", "Mark rejected"])
    row.get_by_role("button", name="Mark converted").click()
    row = page.locator("tr", has_text="Jordan Lee")
    expect(row.locator(".status")).to_have_text("converted")
    expect(row.get_by_role("button")).to_have_text(["Mark rejected", "Mark verified"])
    shot(page, "referrals")
    page.get_by_role("link", name="Overview").click()
    assert figure(page, "converted") == "1"
    shot(page, "overview")

    # A cookie alone does not make a form: a POST without the page's CSRF token is refused.
    forged = context.request.post(
        f"{server.base}/dashboard/programs/new",
        form={"name": "Forged", "landing_url": "https://evil.example/"},
    )
    assert forged.status == 403
    page.get_by_role("link", name="Programs").click()
    expect(page.get_by_text("Forged")).to_have_count(0)

    # An API key made here works against the API, its secret shown once.
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Website backend")
    page.get_by_role("button", name="Create key").click()
    new_secret = page.locator("#new-secret").inner_text()
    assert new_secret.startswith("sk_test_")
    listed = httpx.get(
        f"{server.base}/api/v1/referrals",
        headers={"Authorization": f"Bearer {new_secret}"},
        timeout=10,
    )
    assert [r["email"] for r in listed.json()["referrals"]] == ["jordan@example.com"]

    # The test/live switch: live data is empty.
    page.get_by_role("button", name="Switch to live data").click()
    expect(page.locator("#mode")).to_have_text("Live data")
    page.get_by_role("link", name="Referrals").click()
    expect(page.get_by_text("No referrals yet.")).to_be_visible()
    page.get_by_role("button", name="Switch to test data").click()

    # On a phone-sized screen the list stays readable, and the keyboard reaches everything.
    phone = chromium.new_context(  # type: ignore[attr-defined]
        user_agent=PHONE_UA,
        viewport={"width": 390, "height": 844},
        storage_state=context.storage_state(),
    )
    mobile = phone.new_page()
    mobile.goto(f"{server.base}/dashboard/referrals")
    expect(mobile.locator("tr", has_text="Jordan Lee")).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    mobile.keyboard.press("Tab")
    assert mobile.evaluate("document.activeElement.textContent") == "Skip to content"
    shot(mobile, "phone-referrals")
    phone.close()
    context.close()


def api_call(server: Server, secret: str, method: str, path: str, body: object = None) -> dict:  # type: ignore[type-arg]
    response = httpx.request(
        method,
        f"{server.base}{path}",
        headers={"Authorization": f"Bearer {secret}"},
        json=body,
        timeout=20,
    )
    assert response.status_code == 200, response.text
    data: dict = response.json()  # type: ignore[type-arg]
    return data


def sign_in_new_operator(server: Server, chromium: object, email: str, **options: object) -> object:
    made = subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, "admin", "create", "--email", email, "--password", PASSWORD],
        env=server.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    context = chromium.new_context(user_agent=DESKTOP_UA, **options)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server.base}/dashboard/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").wait_for()
    return page


def test_results_workflows_downloads_and_the_endpoint_page(
    server: Server, chromium: object, tmp_path: Path
) -> None:
    """Issue 14: the poster, program and ambassador pages with their results, a confirmation
    dialog, bulk actions, the ambassador picked by name, CSV and PDF downloads, the endpoint
    page, and the list first on a phone."""
    from playwright.sync_api import expect

    secret = re.search(r"(sk_test_[A-Za-z0-9]+)", "".join(server.output))
    assert secret
    key = secret.group(1)
    program = api_call(server, key, "POST", "/api/v1/programs", {
        "name": "Spring Campus Drive", "landing_url": f"{server.base}/openapi.json",
        "currency": "USD", "commission": {"type": "flat", "amount": 500},
        "headline": "Bring a friend, both get $5", "incentive": "$5 off your first order",
    })  # fmt: skip
    people = [("Ada", "Lovelace", ["Library", "Cafeteria"]), ("Alan", "Turing", ["Gym"])]
    posters: dict[str, str] = {}
    for first, last, places in people:
        user = api_call(server, key, "POST", "/api/v1/users", {
            "program_id": program["id"], "first_name": first, "last_name": last,
            "email": f"{first.lower()}@example.edu",
        })  # fmt: skip
        for place in places:
            poster = api_call(server, key, "POST", "/api/v1/posters", {
                "program_id": program["id"], "student_id": user["id"], "location": place,
            })  # fmt: skip
            posters[place] = poster["id"]
    signups = 0
    for place, scans in (("Library", 9), ("Cafeteria", 4), ("Gym", 6)):
        for number in range(scans):
            impression = api_call(server, key, "POST", "/api/v1/impressions", {
                "poster_id": posters[place], "ip_address": f"198.51.100.{number}",
            })  # fmt: skip
            if number % 2 == 0:
                signups += 1
                referral = api_call(server, key, "POST", "/api/v1/referrals", {
                    "impression_id": impression["id"], "first_name": f"Friend{signups}",
                    "last_name": place, "email": f"friend{signups}@example.com",
                })  # fmt: skip
                if number % 4 == 0:
                    api_call(server, key, "POST", "/api/v1/earnings", {
                        "referral_id": referral["id"], "amount": 500,
                    })  # fmt: skip

    page = sign_in_new_operator(
        server, chromium, "results@example.com", viewport={"width": 1366, "height": 900},
        accept_downloads=True,
    )  # fmt: skip

    # The poster page: its results per day and its rank in the program.
    page.goto(f"{server.base}/dashboard/posters/{posters['Library']}")  # type: ignore[attr-defined]
    activity = page.locator("#activity-figures")  # type: ignore[attr-defined]
    expect(activity.locator('[data-activity="scans"]')).to_have_text("9")
    expect(activity.locator('[data-activity="signups"]')).to_have_text("5")
    expect(activity.locator('[data-activity="rank"]')).to_have_text("1 of 3")
    expect(page.locator("#activity-chart svg")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "poster-results")
    # Its PDF, downloaded and rendered to an image for the README.
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Download PDF (A4)").click()  # type: ignore[attr-defined]
    pdf = tmp_path / "poster.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(  # noqa: S603 - a fixed command
        ["/usr/bin/pdftoppm", "-png", "-r", "50", "-singlefile", str(pdf),
         str(SCREENSHOTS / "poster-pdf")],
        check=True, timeout=60,
    )  # fmt: skip

    # The program page: the same figures for the program, top lists, settings beside.
    page.goto(f"{server.base}/dashboard/programs/{program['id']}")  # type: ignore[attr-defined]
    expect(page.locator('[data-activity="scans"]')).to_have_text("19")  # type: ignore[attr-defined]
    expect(page.locator("#top-post-h + ol li").first).to_contain_text("Library")  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()  # type: ignore[attr-defined]
    shot(page, "program")
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.locator("#print-all-a4").click()  # type: ignore[attr-defined]
    assert download.value.suggested_filename.endswith(".pdf")
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.locator("#posters-csv").click()  # type: ignore[attr-defined]
    table = Path(download.value.path()).read_text()
    assert table.splitlines()[0].startswith("id,code,location,scan_url")
    assert len(table.splitlines()) == 1 + 3

    # The ambassador page: their funnel and earnings over time.
    page.get_by_role("link", name="Ada Lovelace").first.click()  # type: ignore[attr-defined]
    expect(page.locator('[data-activity="scans"]')).to_have_text("13")  # type: ignore[attr-defined]
    expect(page.locator("#earnings-chart svg")).to_be_visible()  # type: ignore[attr-defined]

    # Referrals: the ambassador picked by name from the suggestions, a confirmation dialog.
    page.goto(f"{server.base}/dashboard/referrals")  # type: ignore[attr-defined]
    page.get_by_label("Ambassador").fill("Alan Turing <alan@example.edu>")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Filter").click()  # type: ignore[attr-defined]
    expect(page.locator("tbody tr")).to_have_count(3)  # type: ignore[attr-defined]
    filtered_url = page.url  # type: ignore[attr-defined]
    row = page.locator("tbody tr").first  # type: ignore[attr-defined]
    before = row.locator(".status").inner_text()
    row.get_by_role("button", name="Mark rejected").click()
    dialog = page.locator("#confirm-dialog")  # type: ignore[attr-defined]
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("This cannot be undone.")
    shot(page, "confirm-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(row.locator(".status")).to_have_text(before)
    row.get_by_role("button", name="Mark rejected").click()
    dialog.get_by_role("button", name="Yes, mark rejected").click()
    expect(page.locator("#flash")).to_have_text("Referral marked rejected.")  # type: ignore[attr-defined]
    assert page.url == filtered_url  # type: ignore[attr-defined]
    # Bulk: the other two rows at once.
    boxes = page.locator('tbody input[name="ids"]')  # type: ignore[attr-defined]
    boxes.nth(1).check()
    boxes.nth(2).check()
    page.locator("#bulk").get_by_role("button", name="Mark converted").click()  # type: ignore[attr-defined]
    expect(page.locator("#flash")).to_have_text("2 referrals marked converted.")  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.get_by_role("link", name="Download CSV").click()  # type: ignore[attr-defined]
    rows = Path(download.value.path()).read_text().splitlines()
    assert len(rows) == 1 + 3  # Alan's three, the filter applied
    shot(page, "referrals")

    # The webhook endpoint page: a test event, its delivery, payload and headers.
    page.goto(f"{server.base}/dashboard/webhooks")  # type: ignore[attr-defined]
    page.get_by_label("URL").fill(f"{server.base}/openapi.json")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Add endpoint").click()  # type: ignore[attr-defined]
    page.locator("table a", has_text="/openapi.json").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Send test event").click()  # type: ignore[attr-defined]
    expect(page.locator("#flash")).to_contain_text("Test sent")  # type: ignore[attr-defined]
    endpoint_url = page.url  # type: ignore[attr-defined]
    # A worker delivers it: POST to /openapi.json answers 405, a failed delivery to look at.
    worker = subprocess.Popen(  # noqa: S603 - our own console script
        [VANTIO, "worker"], env=server.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.goto(endpoint_url)  # type: ignore[attr-defined]
            if page.locator("#deliveries tbody tr").count():  # type: ignore[attr-defined]
                break
            time.sleep(1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    delivery = page.locator("#deliveries tbody tr").first  # type: ignore[attr-defined]
    expect(delivery).to_contain_text("405")
    expect(page.locator('[data-figure="streak"]')).not_to_have_text("0")  # type: ignore[attr-defined]
    delivery.get_by_text("Payload and headers").click()
    expect(delivery.locator("pre.payload")).to_contain_text('"type"')
    expect(delivery.locator("pre.headers")).to_contain_text("webhook-id: evt_")
    shot(page, "webhook-endpoint")
    page.get_by_role("button", name="Delete this endpoint").click()  # type: ignore[attr-defined]
    expect(page.locator("#confirm-dialog")).to_be_visible()  # type: ignore[attr-defined]
    page.locator("#confirm-dialog").get_by_role("button", name="Cancel").click()  # type: ignore[attr-defined]

    # A tiered voucher from its rows, shown in words, edited through its form.
    page.goto(f"{server.base}/dashboard/vouchers/new")  # type: ignore[attr-defined]
    page.locator("#f-code").fill("SPRING-TIERS")  # type: ignore[attr-defined]
    page.locator("#f-type").select_option("tiered")  # type: ignore[attr-defined]
    expect(page.locator('fieldset[data-for="bogo"]')).to_be_hidden()  # type: ignore[attr-defined]
    page.locator("#f-currency").fill("USD")  # type: ignore[attr-defined]
    page.get_by_label("Tier 1: orders from").fill("25")  # type: ignore[attr-defined]
    page.get_by_label("Tier 1: up to").fill("74.99")  # type: ignore[attr-defined]
    page.get_by_label("Tier 1: percentage off").fill("10")  # type: ignore[attr-defined]
    page.get_by_label("Tier 2: orders from").fill("75")  # type: ignore[attr-defined]
    page.get_by_label("Tier 2: percentage off").fill("20")  # type: ignore[attr-defined]
    page.get_by_label("Uses in total").fill("500")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Create voucher").click()  # type: ignore[attr-defined]
    expect(page.locator("#voucher-words")).to_have_text(  # type: ignore[attr-defined]
        "Tiered: 10% off on orders from $25.00 to $74.99; 20% off on orders from $75.00, "
        "0 of 500 uses"
    )
    page.get_by_label("Valid until (included)").fill("2027-06-30")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Save voucher").click()  # type: ignore[attr-defined]
    expect(page.locator("#flash")).to_have_text("Voucher saved.")  # type: ignore[attr-defined]
    expect(page.locator("#voucher-words")).to_contain_text("valid until 2027-06-30")  # type: ignore[attr-defined]
    shot(page, "voucher-editor")

    # On a phone the list comes first; the filters fold away below it.
    phone = chromium.new_context(  # type: ignore[attr-defined]
        user_agent=PHONE_UA, viewport={"width": 390, "height": 844},
        storage_state=page.context.storage_state(),  # type: ignore[attr-defined]
    )  # fmt: skip
    mobile = phone.new_page()
    mobile.goto(f"{server.base}/dashboard/referrals")
    first_row = mobile.locator("tbody tr").first.bounding_box()
    filters = mobile.locator("#filters-box").bounding_box()
    assert first_row["y"] < filters["y"]
    assert first_row["y"] < 844, "the first referral is below the first screen"
    expect(mobile.locator("#filters-box form")).to_be_hidden()
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    shot(mobile, "phone-referrals")
    phone.close()
    page.context.close()  # type: ignore[attr-defined]


def test_sign_in_is_rate_limited_in_the_browser(server: Server, chromium: object) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(user_agent=DESKTOP_UA)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.base}/dashboard/signin")
    for _ in range(5):
        page.get_by_label("Email").fill("target@example.com")
        page.get_by_label("Password").fill("guessing again")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#password-error")).to_be_visible()
    page.get_by_label("Email").fill("target@example.com")
    page.get_by_label("Password").fill("guessing again")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    context.close()


def test_admin_create_asks_for_the_password(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANTIO_")}
    env["VANTIO_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'admin.db'}"
    prompted = subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, "admin", "create", "--email", "ops@example.com"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert prompted.returncode == 0, prompted.stderr
    assert "Created operator op_" in prompted.stdout
    assert PASSWORD not in prompted.stdout  # the prompt hides it
    again = subprocess.run(  # noqa: S603 - our own console script
        [VANTIO, "admin", "create", "--email", "OPS@example.com", "--password", "short"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert "at least 10 characters" in again.stderr
