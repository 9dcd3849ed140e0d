"""Use cases: each drives the ports for one operation of the API."""
