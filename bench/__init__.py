"""pobench's own code, in layers that import only downward (bench/ARCHITECTURE.md):

- ``bench.core``: the toolkit (records, hashing, caches, settings, registries, models, sampling, statistics);
- ``bench.kit``: what adapters build on (preference data, TRL trainers, reward models, exact targets);
- ``algorithms`` and ``tasks`` (top-level packages) sit on the kit;
- ``bench.reports``: records into tables, frontiers, plots and pages;
- ``bench.harness``: specs, cells, sweeps, executors, validation, performance;
- ``bench.cli``: one module per ``pobench`` command.
"""
