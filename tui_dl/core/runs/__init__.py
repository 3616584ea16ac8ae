"""Run folders: the files a run writes (config, metrics, summary), its checkpoints, and atomic writes."""
