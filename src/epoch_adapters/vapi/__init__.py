"""VAPI, the voice platform: its webhook payloads and (later) its REST API."""
