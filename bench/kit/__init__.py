"""What adapters build on: preference data, SFT, TRL-backed trainers, reward models, online training and the
exact targets of the enumerable task. Imports only the toolkit and the adapter and task contracts."""
