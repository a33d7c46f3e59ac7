"""Vantio: a self-hostable referral and promotions platform."""

__version__ = "0.1.0"
