"""Vantio: a self-hostable referral and promotions platform."""

__version__ = "0.2.0"
