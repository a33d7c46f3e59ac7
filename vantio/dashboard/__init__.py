"""The web dashboard for program owners: server-rendered pages that call the same services."""
