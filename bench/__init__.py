"""Benchmarks of the SPARQL endpoint against its peers; ``python -m bench.run`` (see docs/benchmarks.md)."""
