"""pobench: one import namespace, in layers that import only downward (bench/ARCHITECTURE.md).

- ``pobench.core`` (``bench/core/``): the toolkit (records, hashing, caches, settings, registries, models, sampling,
  statistics);
- ``pobench.contracts`` (``bench/contracts/``): what an adapter and a task are, the TRL defaults, pure loss maths;
- ``pobench.kit`` (``bench/kit/``): what adapters build on (preference data, TRL trainers, reward models, targets);
- ``pobench.algorithms`` (``algorithms/``) and ``pobench.tasks`` (``tasks/``): the plugins, on the kit;
- ``pobench.reports`` (``bench/reports/``): records into tables, frontiers, plots and pages;
- ``pobench.harness`` (``bench/harness/``): specs, cells, sweeps, executors, validation, performance;
- ``pobench.cli`` (``bench/cli/``): one module per ``pobench`` command.
"""
