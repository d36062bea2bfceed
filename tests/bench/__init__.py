"""Tests of the benchmark\x27s floors (bench/)."""
