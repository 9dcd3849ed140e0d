"""Adapters: the outside world behind the domain's ports, and the container
that picks live or sandbox implementations from settings."""
