"""Local servers for the tests and the benchmarks (never used when serving)."""
