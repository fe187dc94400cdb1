"""Benchmark harness: protocols (splits), metrics, baselines, and the runner."""
