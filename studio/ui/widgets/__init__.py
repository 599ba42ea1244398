"""Reusable Qt widgets for the studio's pages (no engine imports beyond plain data)."""
