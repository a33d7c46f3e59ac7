"""The public scan: who scanned (person or bot), on what device, and the impression to credit."""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.auth.context import owner_of
from vantio.impressions import service as impression_service
from vantio.kit.crypto import sha256_hex
from vantio.kit.time import utc_now
from vantio.posters.models import Poster
from vantio.programs import service as program_service

# Crawlers and the link previewers of chat apps and social networks fetch the URL without a person.
_BOT = re.compile(
    r"bot\b|bot/|crawler|spider|slurp|preview|facebookexternalhit|facebookcatalog|meta-externalagent|"
    r"whatsapp|telegram|discord|slack|skypeuripreview|linkedin|pinterest|embedly|quora link|vkshare|"
    r"outbrain|iframely|headlesschrome|lighthouse|google-inspectiontool|bingpreview|applebot|yandex|"
    r"baiduspider|duckduckgo|petalbot|ahrefs|semrush|mj12bot|dotbot",
    re.IGNORECASE,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk|playbook|(android(?!.*mobile))", re.IGNORECASE)
_MOBILE = re.compile(
    r"mobi|iphone|ipod|android|blackberry|opera mini|iemobile|windows phone", re.IGNORECASE
)


@dataclass(frozen=True)
class Scan:
    """What a scan request tells about the person scanning."""

    user_agent: str | None
    ip_address: str | None
    referrer: str | None
    utm: dict[str, str] = field(default_factory=dict)

    @property
    def is_bot(self) -> bool:
        return bool(self.user_agent) and bool(_BOT.search(self.user_agent or ""))

    @property
    def device_type(self) -> str:
        agent = self.user_agent or ""
        if _TABLET.search(agent):
            return "tablet"
        if _MOBILE.search(agent):
            return "mobile"
        return "desktop" if agent else "unknown"

    def fingerprint(self, poster_id: str) -> str:
        return sha256_hex(f"{poster_id}|{self.ip_address or ''}|{self.user_agent or ''}")

    def metadata(self, poster: Poster) -> dict[str, Any]:
        data: dict[str, Any] = {
            "device_type": self.device_type,
            "referrer": self.referrer or "direct",
        }
        if poster.location:
            data["location"] = poster.location
        data.update(self.utm)
        return data


def utm_values(query: dict[str, str]) -> dict[str, str]:
    return {
        key: value[:500]
        for key, value in query.items()
        if key.startswith("utm_") and len(key) <= 40
    }


async def record(session: AsyncSession, *, poster: Poster, scan: Scan, dedupe: timedelta) -> str:
    """The impression to credit for this scan: a recent one of the same device, or a new one."""
    now = utc_now()
    fingerprint = scan.fingerprint(poster.id)
    recent = await impression_service.find_recent(
        session, poster_id=poster.id, fingerprint=fingerprint, since=now - dedupe
    )
    if recent is not None:
        return recent
    impression = impression_service.build(
        poster,
        scanned_at=now,
        user_agent=(scan.user_agent or None) and scan.user_agent[:1000],
        ip_address=scan.ip_address,
        fingerprint=fingerprint,
        metadata=scan.metadata(poster),
    )
    await impression_service.add(session, impression)
    return impression.id


def with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


async def landing_url(session: AsyncSession, *, poster: Poster) -> str:
    """Where a scan of this poster lands: its own destination, or its program's landing page."""
    if poster.destination_url:
        return poster.destination_url
    program = await program_service.get_program_or_raise(
        session, owner_of(poster), program_id=poster.program_id
    )
    return program.landing_url
