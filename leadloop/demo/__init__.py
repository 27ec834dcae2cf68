"""Demo data: a realistic organisation and a year of leads, for `make demo` and benchmarks."""
