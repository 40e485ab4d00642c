"""The stages as library calls, and ``lsqm run`` chaining them.

    stages.py     each stage as a call a command makes (mine, generate, validate over one
                  or several targets, bisect, status, compare, report, clean, sync, push,
                  merge, notify)
    provision.py  setup's calls: provision the toolchain, list the LocalStack versions
    chain.py      ``run``: the stages in order through the store (``RUN_STAGES``)

Nothing is re-exported: import the module that holds the name.
"""
