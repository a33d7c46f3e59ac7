"""A whole program's posters as one PDF: how long, how much memory, and what it costs the rest.

Creates a fresh SQLite database with one program (headline, incentive, brand color, a logo),
50 ambassadors and N posters (300 by default), and through the ASGI app, in this process:

- GET /api/v1/programs/{id}/posters.pdf: time and PDF size; the peak RSS of the child process
  that drew it (the document is built in memory there: the figure that bounds it), against a
  child that drew one page; the server process's own RSS, sampled while it waits;
- while it is drawn, GET /api/v1/programs/{id} in a loop: its latency, against the same loop
  with nothing else running (does printing slow the server down?); with `--thread`, the same
  PDF drawn in a thread of the server instead, to compare;
- baseline, in the same run: the one-poster PDF, and the N posters' QR codes fetched one by one
  as PNG from /s/{code}/qr.png (what printing them took before).

    .venv/bin/python bench/posters_pdf.py                # 300 posters
    .venv/bin/python bench/posters_pdf.py --posters 1000  # the most one PDF holds
    .venv/bin/python bench/posters_pdf.py --thread        # drawn in the server's thread
"""

import argparse
import asyncio
import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from vantio.accounts import service as account_service
from vantio.api_keys import service as api_key_service
from vantio.app import create_app
from vantio.config import Settings
from vantio.db.migrate import upgrade
from vantio.db.session import transaction
from vantio.posters import pdf, renderer
from vantio.runtime import Runtime

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import line as summary_line
from summary import percentile


def rss_mb(pid: str = "self", field: str = "VmRSS") -> float:
    """A process's RSS now (VmRSS) or at its peak so far (VmHWM), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def child_peak_rss_mb(job: bytes) -> float:
    """Run the renderer's child on `job` as the server does; its peak RSS, sampled every 10 ms
    (rusage would count the pages a fork shares with this process)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        renderer.__name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    done = asyncio.create_task(child.communicate(job))
    peak = 0.0
    while not done.done():
        with contextlib.suppress(OSError):
            peak = max(peak, rss_mb(str(child.pid), "VmHWM"))
        await asyncio.sleep(0.01)
    document, _ = await done
    assert document.startswith(b"%PDF"), document[:100]
    return peak


def logo() -> bytes:
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, 299, 299), fill="#e63946")
    draw.rectangle((340, 100, 899, 200), fill="#1d3557")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def latencies_while(
    client: httpx.AsyncClient, url: str, busy: "asyncio.Task[object]", rss: list[float]
) -> list[float]:
    """GET `url` again and again until `busy` is done: each call's latency (and RSS after it)."""
    times = []
    while not busy.done():
        began = time.perf_counter()
        assert (await client.get(url)).status_code == 200
        times.append((time.perf_counter() - began) * 1000)
        rss.append(rss_mb())
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  max {ordered[-1]:6.1f} ms"
    )


async def main(posters: int, thread: bool) -> None:
    if thread:
        renderer.THREAD_PAGES = posters
    directory = tempfile.mkdtemp(prefix="vantio-bench-")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
        rate_limit_enabled=False,
        public_url="https://go.example.org",
    )
    await asyncio.to_thread(upgrade, settings)
    runtime = Runtime.create(settings)
    try:
        async with transaction(runtime.sessionmaker) as session:
            account = await account_service.create_account(session, name="Bench")
            key = await api_key_service.create_key(
                session, account_id=account.id, name="bench", livemode=False
            )
        app = create_app(settings, runtime)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {key.secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers, timeout=600
        ) as client:
            program = (
                await client.post(
                    "/api/v1/programs",
                    json={
                        "name": "Campus Ambassadors",
                        "landing_url": "https://example.org/join",
                        "headline": "Free coffee all semester",
                        "incentive": "Sign up with this code: your first month is free",
                        "brand_color": "#2A9D8F",
                    },
                )
            ).json()
            program_id = program["id"]
            put = await client.put(
                f"/api/v1/programs/{program_id}/logo",
                content=logo(),
                headers={"Content-Type": "image/png"},
            )
            assert put.status_code == 200, put.text
            users = [
                (
                    await client.post(
                        "/api/v1/users",
                        json={
                            "program_id": program_id,
                            "first_name": f"Ambassador{n}",
                            "last_name": "Bench",
                            "email": f"a{n}@example.org",
                        },
                    )
                ).json()["id"]
                for n in range(50)
            ]
            codes = []
            for n in range(posters):
                poster = await client.post(
                    "/api/v1/posters",
                    json={
                        "program_id": program_id,
                        "student_id": users[n % len(users)],
                        "location": f"Building {n // 10}, floor {n % 5}, notice board {n}",
                    },
                )
                codes.append(poster.json()["code"])
            one_poster_id = poster.json()["id"]
            print(f"{posters} posters of one program, 50 ambassadors, SQLite, in-process ASGI")

            url = f"/api/v1/programs/{program_id}"

            began = time.perf_counter()
            single = await client.get(f"/api/v1/posters/{one_poster_id}/poster.pdf")
            single_ms = (time.perf_counter() - began) * 1000
            assert single.status_code == 200
            # The child's memory for the whole program, and for one page (the renderer itself).
            branding = pdf.Branding(
                "Campus Ambassadors",
                "Free coffee all semester",
                "Sign up with this code: your first month is free",
                "#2A9D8F",
                logo(),
            )
            sheets = [
                pdf.Sheet(f"https://go.example.org/s/{code}", f"Building {n}", f"Ambassador{n}")
                for n, code in enumerate(codes)
            ]
            all_pages_mb = await child_peak_rss_mb(renderer._job_json(branding, sheets, "a4"))
            one_page_mb = await child_peak_rss_mb(renderer._job_json(branding, sheets[:1], "a4"))

            began = time.perf_counter()
            for code in codes:
                assert (await client.get(f"/s/{code}/qr.png")).status_code == 200
            pngs_s = time.perf_counter() - began

            idle = await latencies_while(client, url, asyncio.create_task(asyncio.sleep(3.0)), [])
            server_rss = [rss_mb()]
            began = time.perf_counter()
            download = asyncio.create_task(client.get(f"{url}/posters.pdf"))
            busy = await latencies_while(client, url, download, server_rss)
            response = await download
            whole_s = time.perf_counter() - began
            assert response.status_code == 200, response.text
            server_rss.append(rss_mb())

            where = "a thread of the server" if thread else "a child process"
            print(f"drawn in {where}")
            print(
                f"program PDF, {posters} pages:         {whole_s:6.2f} s   "
                f"{whole_s / posters * 1000:5.1f} ms a page   {len(response.content) / 1e6:5.2f} MB"
            )
            print(
                f"child process's peak RSS:           {all_pages_mb:6.0f} MB   "
                f"(baseline, one page: {one_page_mb:.0f} MB)"
            )
            print(
                f"server process RSS:                 {server_rss[0]:6.0f} MB before, "
                f"at most {max(server_rss):.0f} MB while drawing, {server_rss[-1]:.0f} MB after"
            )
            print(f"GET /programs/{{id}} while it draws: {summary(busy)}  ({len(busy)} calls)")
            print(f"baseline, the same GET, idle:       {summary(idle)}  ({len(idle)} calls)")
            print(f"baseline, one poster's PDF:         {single_ms:6.0f} ms")
            print(
                f"baseline, {posters} QR codes as PNG:     {pngs_s:6.2f} s   "
                f"(GET /s/{{code}}/qr.png, one by one)"
            )
            # Ratio: the QR codes one by one over the whole PDF (higher: the PDF is cheaper);
            # then the other requests while it draws: idle median over busy median, busy p99.
            print(summary_line("sqlite", "posters pdf", pngs_s / whole_s, whole_s * 1000))
            print(
                summary_line(
                    "sqlite",
                    "requests while drawing",
                    statistics.median(idle) / statistics.median(busy),
                    percentile(busy, 99),
                )
            )
    finally:
        await runtime.close()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=int, default=300)
    parser.add_argument("--thread", action="store_true", help="draw in a thread of the server")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.posters, arguments.thread))
