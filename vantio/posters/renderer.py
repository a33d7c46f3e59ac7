"""Drawing the PDFs: a few pages in a thread, a program's many pages in a child process.

A page is 20-30 ms of pure-Python CPU (bench/posters_pdf.py). In a thread of the server process
that CPU holds the GIL, and every other request of the process, scans included, waits for it at
each hand-over to and from the database driver's thread: while a 300-page PDF was drawn in a
thread, the median latency of other requests went from 3 ms to 40-60 ms for 6-8 s. A child
process costs the server nothing but the copy of the finished file, for half a second of start-up
(Python and fpdf2 loading): worth it past a few pages, not for one poster.

The child is `python -m vantio.posters.renderer`: the job as JSON on its stdin, the PDF on its
stdout. It lives for one job (nothing lingers after the server stops), is killed if the client
goes away, and one job at a time runs per server process, so printing takes at most one core
and holds one document in memory.
"""

import asyncio
import base64
import json
import sys
from collections.abc import Sequence
from typing import Any

from vantio.posters import pdf

# Up to this many pages (about 0.3 s of CPU) are drawn in a thread of the server.
THREAD_PAGES = 10
_one_job_at_a_time = asyncio.Semaphore(1)


class RenderFailed(RuntimeError):
    pass


async def render(branding: pdf.Branding, sheets: Sequence[pdf.Sheet], *, paper: pdf.Paper) -> bytes:
    if len(sheets) <= THREAD_PAGES:
        return await asyncio.to_thread(pdf.render, branding, sheets, paper=paper)
    async with _one_job_at_a_time:
        return await _in_child(_job_json(branding, sheets, paper))


async def _in_child(job: bytes) -> bytes:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        __name__,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        document, errors = await child.communicate(job)
    finally:
        if child.returncode is None:  # cancelled: the client went away
            child.kill()
            await child.wait()
    if child.returncode != 0:
        raise RenderFailed(f"the PDF renderer exited with {child.returncode}: {errors[-2000:]!r}")
    return document


def _job_json(branding: pdf.Branding, sheets: Sequence[pdf.Sheet], paper: pdf.Paper) -> bytes:
    return json.dumps(
        {
            "paper": paper,
            "branding": {
                "program_name": branding.program_name,
                "headline": branding.headline,
                "incentive": branding.incentive,
                "brand_color": branding.brand_color,
                "logo": base64.b64encode(branding.logo).decode() if branding.logo else None,
            },
            "sheets": [[s.scan_url, s.location, s.ambassador] for s in sheets],
        }
    ).encode()


def _job_of(data: dict[str, Any]) -> tuple[pdf.Branding, list[pdf.Sheet], pdf.Paper]:
    brand = data["branding"]
    encoded_logo = brand.pop("logo")
    logo = base64.b64decode(encoded_logo) if encoded_logo else None
    sheets = [pdf.Sheet(url, location, ambassador) for url, location, ambassador in data["sheets"]]
    return pdf.Branding(**brand, logo=logo), sheets, data["paper"]


if __name__ == "__main__":
    branding, sheets, paper = _job_of(json.loads(sys.stdin.buffer.read()))
    sys.stdout.buffer.write(pdf.render(branding, sheets, paper=paper))
