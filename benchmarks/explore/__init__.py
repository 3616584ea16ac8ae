"""Explorations behind the engine's and the app's choices: one question per file, each ending with what was
found (and where the finding now lives). Not part of the gate (``python -m benchmarks``); run one with
``python -m benchmarks.explore.<name> --help``. They time the engine's own code (the step through
:mod:`benchmarks.explore.engine_steps`, the trainer through ``iter_training``), never a copy of it.

The engine's step
    step_phases           where does the time of one engine step go?
    step_variants         which settings make the engine's step faster?
    layer_times           which layers does a step's time go to, and does channels-last help each?
    course_phases         where does the time of one step of the course loop go?
    throughput_bound      what is the ceiling of spreading one batch-64 step over the cores?
    accuracy_seeds        how far apart do the course loop and the engine land, next to the seeds' spread?
    grad_stats_cost       what does recording the per-layer gradient statistics cost a LeNet step?

Threads on a shared machine
    thread_contention     split lanes, OpenMP threads, one thread or an adaptive count beside a busy neighbour?
    omp_settings          do OpenMP's settings rescue torch's own threads?

The app
    app_threads           one torch thread or two inside the app, for speed and key latency?
    ui_stalls             what does the UI thread do when its event loop stalls during training?
    ui_profile            where does the UI thread's CPU time go while the app trains?
    key_latency_variants  which UI-side settings keep key presses fast while the app trains?
    startup_lazy_setup    how much of the app's start-up is the Setup tab?
    memory_versions       does reading torchvision's version from metadata lower a run's peak memory?
"""
