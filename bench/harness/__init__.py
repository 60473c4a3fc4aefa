"""The harness: cell specs, the cell pipeline (prepare, train, evaluate, record), sweeps, executors,
adapter validation and performance benchmarks."""
