"""`vantio demo`: a living program for a newcomer to look at, built through the services."""

import random
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vantio.accounts import service as account_service
from vantio.auth.context import AuthContext
from vantio.db.session import SessionMaker, transaction
from vantio.earnings import service as earning_service
from vantio.earnings.schemas import EarningCreate, EarningUpdate
from vantio.impressions import service as impression_service
from vantio.kit.ids import new_id
from vantio.kit.time import freeze, utc_now
from vantio.posters import service as poster_service
from vantio.posters.schemas import PosterCreate
from vantio.programs import service as program_service
from vantio.programs.schemas import ProgramCreate
from vantio.referrals import service as referral_service
from vantio.referrals.schemas import ReferralCreate, ReferralUpdate
from vantio.scans.service import Scan
from vantio.users import service as user_service
from vantio.users.schemas import UserCreate

AMBASSADORS = [
    ("Maya", "Okafor"),
    ("Lucas", "Brennan"),
    ("Aiko", "Tanaka"),
    ("Sofia", "Marquez"),
    ("Noah", "Fischer"),
]
LOCATIONS = [
    "Campus Center - Main Entrance",
    "Library - First Floor",
    "Student Union - Cafe",
    "Gym - Lobby",
    "Engineering Building - Stairwell",
    "Dorm A - Laundry Room",
    "Bus Stop - North Gate",
    "Bookstore - Checkout",
]
FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Riley",
    "Casey",
    "Morgan",
    "Jamie",
    "Avery",
    "Quinn",
    "Drew",
    "Robin",
]
LAST = [
    "Nguyen",
    "Smith",
    "Garcia",
    "Kim",
    "Patel",
    "Rossi",
    "Dubois",
    "Silva",
    "Cohen",
    "Walsh",
    "Ito",
    "Berg",
]
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
]


async def fill(sessionmaker: SessionMaker, *, weeks: int = 6, seed: int = 7) -> dict[str, int]:
    """Create one program with ambassadors, posters, scans, referrals and earnings over `weeks`."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    counts = {"users": 0, "posters": 0, "impressions": 0, "referrals": 0, "earnings": 0}
    today = utc_now()
    start = today - timedelta(weeks=weeks)
    async with transaction(sessionmaker) as session:
        account = await account_service.get_first_account(
            session
        ) or await account_service.create_account(session, name="Default account")
        auth = AuthContext(account_id=account.id, livemode=False, api_key_id="")
        with freeze(start):
            program = await program_service.create_program(
                session,
                auth,
                data=ProgramCreate(
                    name="Campus Ambassadors - Fall",
                    description="Students share Vantio posters around campus and earn 10% of referred purchases.",
                    landing_url="https://example.com/signup",
                    commission={
                        "type": "tiered",
                        "tiers": [
                            {"min_referrals": 0, "rate": 10},
                            {"min_referrals": 10, "rate": 15},
                        ],
                    },
                    payout_schedule="monthly",
                    minimum_payout=2500,
                ),
            )
            posters = []
            for first, last in AMBASSADORS:
                user = await user_service.create_user(
                    session,
                    auth,
                    data=UserCreate(
                        program_id=program.id,
                        first_name=first,
                        last_name=last,
                        email=f"{first.lower()}.{last.lower()}@campus.example",
                    ),
                )
                counts["users"] += 1
                for location in rng.sample(LOCATIONS, 2):
                    posters.append(
                        await poster_service.create_poster(
                            session,
                            auth,
                            data=PosterCreate(
                                program_id=program.id, student_id=user.id, location=location
                            ),
                        )
                    )
                    counts["posters"] += 1
        emails: set[str] = set()
        for day in range(weeks * 7):
            for poster in posters:
                for _ in range(rng.randint(0, 6)):
                    at = start + timedelta(days=day, minutes=rng.randint(8 * 60, 22 * 60))
                    scan = Scan(
                        user_agent=rng.choice(AGENTS),
                        ip_address=f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        referrer=None,
                    )
                    # Stored now, scanned then: its ID carries the real time of storing, as
                    # analytics' watermark assumes ("IDs below imp_<T> were stored before T"), so
                    # a server that already folded up to now counts it (issue 12).
                    stored_id = new_id("imp")
                    with freeze(at):
                        impression = impression_service.build(
                            poster,
                            scanned_at=at,
                            user_agent=scan.user_agent,
                            ip_address=scan.ip_address,
                            fingerprint=scan.fingerprint(poster.id),
                            metadata=scan.metadata(poster),
                        )
                        impression.id = stored_id
                        await impression_service.add(session, impression)
                    counts["impressions"] += 1
                    if rng.random() > 0.25:
                        continue
                    await session.flush()
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@mail.example"
                    if email in emails:
                        continue
                    emails.add(email)
                    with freeze(at + timedelta(minutes=rng.randint(2, 90))):
                        referral = await referral_service.create_referral(
                            session,
                            auth,
                            data=ReferralCreate(
                                impression_id=impression.id,
                                first_name=first,
                                last_name=last,
                                email=email,
                            ),
                        )
                    counts["referrals"] += 1
                    fate = rng.random()
                    later = at + timedelta(days=rng.randint(1, 5))
                    if later > utc_now():
                        continue
                    with freeze(later):
                        if fate < 0.45:
                            earning = await earning_service.create_earning(
                                session,
                                auth,
                                data=EarningCreate(
                                    referral_id=referral.id,
                                    sale_amount=rng.choice([1999, 4999, 8999, 12999]),
                                    type="purchase",
                                ),
                            )
                            counts["earnings"] += 1
                            await _pay_if_old(session, auth, earning.id, later, today)
                            if rng.random() < 0.5:
                                await referral_service.update_referral(
                                    session,
                                    auth,
                                    referral_id=referral.id,
                                    data=ReferralUpdate(status="verified"),
                                )
                        elif fate < 0.55:
                            await referral_service.update_referral(
                                session,
                                auth,
                                referral_id=referral.id,
                                data=ReferralUpdate(status="rejected"),
                            )
    return counts


async def _pay_if_old(
    session: AsyncSession, auth: AuthContext, earning_id: str, earned_at: datetime, today: datetime
) -> None:
    """Earnings older than a payout cycle have been paid, as a monthly payout run would have."""
    paid_at = earned_at + timedelta(days=14)
    if paid_at > today:
        return
    for status, at in (("processing", paid_at - timedelta(days=2)), ("paid", paid_at)):
        with freeze(at):
            await earning_service.update_earning(
                session,
                auth,
                earning_id=earning_id,
                data=EarningUpdate(status=status, reference_id=f"demo_payout_{at:%Y%m%d}"),
            )
