"""Python client for the Vantio Referral API and Voucher API."""

__version__ = "0.1.0"
