"""tui-dl benchmarks: the course reference loop vs the engine, the app's responsiveness, start-up and memory.

Run ``python -m benchmarks`` (everything, 10-20 minutes on 2 cores) or ``python -m benchmarks --quick``;
``--only lenet,shapes`` picks sections. See benchmarks/run.py and the README's "Performance" section.
``benchmarks/explore/`` holds the explorations behind the engine's choices, one question per file.
"""
