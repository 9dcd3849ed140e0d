"""Throughput and latency benchmarks: `make bench` (`python -m bench`).

`bench/__main__.py` describes the interface a benchmark module implements;
`docs/performance.md` records the figures of a run and what they mean.
"""
