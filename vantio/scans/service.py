"""The public scan: who scanned (person or bot), on what device, and the impression to credit.

Scans are recorded in batches (see `writer.py`): `record_scans` takes every scan that arrived
while the previous batch was committing and handles them in one transaction, with one query for
their posters, one for the recent impressions of their devices, and one statement each for the
new impressions and their events. It is plain blocking Core code on a `Connection` (no ORM
unit of work on the hot path): the writer runs it whole in one thread on SQLite, and through
`AsyncConnection.run_sync` on PostgreSQL.
"""

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote_plus, unquote_plus

from sqlalchemy import Connection, bindparam, func, select

from vantio.db import repository
from vantio.impressions import service as impression_service
from vantio.kit.crypto import sha256_hex
from vantio.kit.ids import new_ids
from vantio.posters.models import Poster
from vantio.programs.models import Program
from vantio.scans.agents import device_type, is_bot
from vantio.vouchers.models import Voucher

_UTM_VALUE_MAX = 500
_USER_AGENT_MAX = 1000
_REFERRER_MAX = 2048


def clean(value: str | None, limit: int) -> str | None:
    """Text from the request as the database takes it: no NUL (PostgreSQL refuses it), bounded."""
    if not value:
        return value
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit]


def utm_values(query: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The `utm_*` values of a query string (the first of each name), cleaned and bounded."""
    values: dict[str, str] = {}
    for key, value in query:
        if key.startswith("utm_") and len(key) <= 40 and key not in values and "\x00" not in key:
            values[key] = clean(value, _UTM_VALUE_MAX) or ""
    return values


class _Located(Protocol):
    @property
    def location(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scan request tells about the person scanning."""

    user_agent: str | None
    ip_address: str | None
    referrer: str | None
    utm: dict[str, str] = field(default_factory=dict)
    # The device's cookie (`vantio_device`), and whether the request carried it (False: the
    # redirect hands it out now, and the device is recognised by its IP and user agent).
    device: str | None = None
    device_known: bool = False

    @property
    def is_bot(self) -> bool:
        return is_bot(self.user_agent)

    @property
    def device_type(self) -> str:
        return device_type(self.user_agent)

    def fingerprint(self, poster_id: str) -> str:
        return sha256_hex(f"{poster_id}|{self.ip_address or ''}|{self.user_agent or ''}")

    def device_fingerprint(self, poster_id: str) -> str | None:
        return sha256_hex(f"{poster_id}|{self.device}") if self.device else None

    def metadata(self, poster: _Located) -> dict[str, Any]:
        data: dict[str, Any] = {
            "device_type": self.device_type,
            "referrer": self.referrer or "direct",
        }
        if poster.location:
            data["location"] = poster.location
        data.update(self.utm)
        return data


@dataclass(frozen=True, slots=True)
class Visit:
    """One request for `/s/{code}`: `scan` is None when it must not be counted (HEAD, bots)."""

    code: str
    scan: Scan | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Target:
    """What a scan needs of its poster: whose it is and where it lands."""

    poster_id: str
    account_id: str
    livemode: bool
    program_id: str
    student_id: str
    location: str | None
    landing_url: str
    voucher_code: str | None = None  # the program's referee voucher, handed to the visitor


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a visit is redirected, and the impression it is credited to (None: not counted)."""

    landing_url: str
    impression_id: str | None
    voucher_code: str | None = None

    @property
    def location(self) -> str:
        if self.impression_id is None:
            return self.landing_url
        params = {"impression_id": self.impression_id}
        if self.voucher_code is not None:
            params["voucher"] = self.voucher_code
        return with_query(self.landing_url, params)


def visit(
    code: str,
    *,
    user_agent: str | None,
    ip_address: str | None,
    referrer: str | None,
    query: Sequence[tuple[str, str]],
    count: bool,
    at: datetime,
    device: str | None = None,
    device_known: bool = False,
) -> Visit:
    """A visit of `/s/{code}`; not counted when `count` is false or the user agent is not a
    person's browser. `device` is the device cookie the request carried (`device_known`) or the
    one its redirect hands out."""
    if not count or is_bot(user_agent):
        return Visit(code=code, scan=None, at=at)
    scan = Scan(
        user_agent=clean(user_agent, _USER_AGENT_MAX),
        ip_address=clean(ip_address, 64),
        referrer=clean(referrer, _REFERRER_MAX),
        utm=utm_values(query) if query else {},
        device=device,
        device_known=device_known and device is not None,
    )
    return Visit(code=code, scan=scan, at=at)


# Built once: constructing a statement costs more than running it (~0.5 ms per batch).
_TARGETS = (
    select(
        Poster.code,
        Poster.id,
        Poster.account_id,
        Poster.livemode,
        Poster.program_id,
        Poster.student_id,
        Poster.location,
        func.coalesce(Poster.destination_url, Program.landing_url),
        Voucher.code,
    )
    .join(Program, Program.id == Poster.program_id)
    .outerjoin(
        Voucher,
        (Voucher.id == Program.referee_voucher_id)
        & repository.same_owner(Voucher, Program)
        & (Voucher.status == "active")
        & Voucher.deleted_at.is_(None),
    )
    .where(Poster.code.in_(bindparam("codes", expanding=True)))
)


def find_targets(connection: Connection, *, codes: Collection[str]) -> dict[str, Target]:
    """The posters of these codes with their landing URLs; the code itself is the capability."""
    return {
        row[0]: Target(
            poster_id=row[1],
            account_id=row[2],
            livemode=row[3],
            program_id=row[4],
            student_id=row[5],
            location=row[6],
            landing_url=row[7],
            voucher_code=row[8],
        )
        for row in connection.execute(_TARGETS, {"codes": list(codes)})
    }


class Admit(Protocol):
    """Whether one more new device of this poster and IP may be counted at `at` (the limit)."""

    def __call__(self, poster_id: str, ip_address: str | None, at: datetime) -> bool: ...


def record_scans(
    connection: Connection,
    *,
    visits: Sequence[Visit],
    dedupe: timedelta,
    admit: Admit | None = None,
) -> list[Outcome | None]:
    """The outcome of each visit, in order (None: unknown poster), with new impressions added.

    A device that scanned the poster within `dedupe` before gets its impression back, whether
    that scan is in the database or earlier in the same batch. A device is recognised by its
    cookie when the request carried one, else by its IP and user agent: devices with one cookie
    each are told apart even behind one NAT with identical user agents. A new device is counted
    only when `admit` lets it (the limit of new devices per poster and IP); one it refuses is
    redirected without an impression.
    """
    targets = find_targets(connection, codes={v.code for v in visits})
    counted = [
        (
            index,
            v.scan,
            target,
            v.scan.fingerprint(target.poster_id),
            v.scan.device_fingerprint(target.poster_id),
            v.at,
        )
        for index, v in enumerate(visits)
        if v.scan is not None and (target := targets.get(v.code)) is not None
    ]
    by_fingerprint: dict[str, tuple[str, datetime]] = {}
    by_device: dict[str, tuple[str, datetime]] = {}
    if counted:
        by_fingerprint, by_device = impression_service.find_recent_many(
            connection,
            fingerprints={(c[2].poster_id, c[3]) for c in counted if not c[1].device_known},
            devices={
                (c[2].poster_id, c[4]) for c in counted if c[1].device_known and c[4] is not None
            },
            since=min(c[5] for c in counted) - dedupe,
        )
    credited: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    ids = iter(new_ids("imp", len(counted)))
    for index, scan, target, fingerprint, device, at in counted:
        previous = (
            by_device.get(device)
            if scan.device_known and device is not None
            else by_fingerprint.get(fingerprint)
        )
        if previous is not None and previous[1] >= at - dedupe:
            credited[index] = previous[0]
            continue
        if admit is not None and not admit(target.poster_id, scan.ip_address, at):
            continue  # one new device too many from this IP: redirected, not counted
        impression_id = next(ids)
        credited[index] = impression_id
        by_fingerprint[fingerprint] = (impression_id, at)
        if device is not None:
            by_device[device] = (impression_id, at)
        rows.append(
            impression_service.scanned_row(
                impression_id=impression_id,
                account_id=target.account_id,
                livemode=target.livemode,
                poster_id=target.poster_id,
                program_id=target.program_id,
                student_id=target.student_id,
                scanned_at=at,
                user_agent=scan.user_agent,
                ip_address=scan.ip_address,
                fingerprint=fingerprint,
                device_fingerprint=device,
                metadata=scan.metadata(target),
            )
        )
    if rows:
        impression_service.add_many(connection, rows)
    outcomes: list[Outcome | None] = []
    for index, v in enumerate(visits):
        target = targets.get(v.code)
        outcomes.append(
            None
            if target is None
            else Outcome(target.landing_url, credited.get(index), target.voucher_code)
        )
    return outcomes


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to its query; its other parameters are kept byte for byte."""
    if not params:
        return url
    head, tail = _around(url, tuple(params))
    added = "&".join(f"{_plus(key)}={_plus(value)}" for key, value in params.items())
    return f"{head}{added}{tail}"


@functools.lru_cache(maxsize=1024)
def _around(url: str, names: tuple[str, ...]) -> tuple[str, str]:
    """`url` cut where `with_query` adds parameters named `names`: before them, its other
    parameters (and `?` or `&`); after them, its fragment. Once per landing page, not per scan."""
    url, hash_, fragment = url.partition("#")
    base, _, query = url.partition("?")
    kept = [
        part
        for part in query.split("&")
        if part and unquote_plus(part.partition("=")[0]) not in names
    ]
    return f"{base}?{'&'.join([*kept, ''])}", f"{hash_}{fragment}"


# What quote_plus leaves as it is (an impression id, a voucher code): no call needed.
_PLAIN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~-"


def _plus(value: str) -> str:
    return quote_plus(value) if value.strip(_PLAIN) else value
