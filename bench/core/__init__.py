"""The toolkit: records, hashing, caches, settings, registries, models, sampling and statistics.

Nothing here knows about algorithms, tasks, the harness or the reports."""
