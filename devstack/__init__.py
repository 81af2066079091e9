"""Throwaway database servers for `just dev`, the tests and the benchmarks."""
