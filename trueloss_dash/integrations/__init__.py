"""True training loss inside the frameworks people train with: one callback per framework.

    from trueloss_dash.integrations.lightning import TrueLossCallback   # pip install trueloss-dash[lightning]
    from trueloss_dash.integrations.hf import TrueLossCallback          # pip install trueloss-dash[hf]
    from trueloss_dash.integrations.keras import TrueLossCallback       # pip install trueloss-dash[keras]

Each module imports its framework when it is imported itself, never before: importing
``trueloss_dash`` (core, CLI, the page) imports no framework. All three measure the same thing the
live trainer and ``TrueLossTracker`` measure, with the same estimate (``trainer/estimate.py``):
eval mode, no grad, no penalty, on a fixed stratified subsample of the training set with a 95%
interval (or a full pass), plus the gap terms the framework lets them measure honestly. The
column names are the canonical ones of ``trueloss_dash.columns``, so every reader picks them up.
See ``docs/integrations.md``.
"""

FRAMEWORKS = ("lightning", "hf", "keras")
