from pydantic import BaseModel, Field

from vantio.kit.schemas import Timestamp


class FunnelFigures(BaseModel):
    impressions: int
    referrals: int
    converted: int
    verified: int
    rejected: int
    earnings_count: int
    earnings_amount: int


class FunnelInterval(FunnelFigures):
    start: Timestamp
    end: Timestamp
    unique_scanners: int | None = Field(
        None, description="Distinct devices that scanned (with `unique_scanners=true`)"
    )


class Rates(BaseModel):
    scan_to_signup_rate: float | None
    signup_to_conversion_rate: float | None
    conversion_to_verification_rate: float | None
    rejection_rate: float | None


class FunnelTotal(FunnelFigures, Rates):
    unique_scanners: int | None = Field(
        None, description="Distinct devices over the whole range (with `unique_scanners=true`)"
    )


class FunnelOut(BaseModel):
    program_id: str | None
    poster_id: str | None = None
    student_id: str | None = None
    currency: str
    interval: str
    tz: str
    start: Timestamp
    end: Timestamp
    intervals: list[FunnelInterval]
    total: FunnelTotal


class AmbassadorRow(FunnelFigures):
    rank: int
    student_id: str
    program_id: str
    first_name: str
    last_name: str
    email: str
    scan_to_signup_rate: float | None
    signup_to_conversion_rate: float | None


class LeaderboardOut(BaseModel):
    program_id: str | None
    currency: str
    sort: str
    start: Timestamp
    end: Timestamp
    ambassadors: list[AmbassadorRow]
    has_more: bool


class PlaceFigures(BaseModel):
    scans: int
    referrals: int
    converted: int
    scan_to_signup_rate: float | None
    conversion_rate: float | None


class PosterRow(PlaceFigures):
    poster_id: str
    program_id: str
    student_id: str
    location: str | None


class LocationRow(PlaceFigures):
    location: str | None
    posters: int


class PostersOut(BaseModel):
    program_id: str | None
    start: Timestamp | None
    end: Timestamp | None
    posters: list[PosterRow]
    locations: list[LocationRow]
