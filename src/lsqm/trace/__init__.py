"""The operation trace: which AWS API calls reached the emulator, made by whom.

One recording proxy (:mod:`lsqm.trace.proxy`) stands in front of every emulator runtime;
terraform and the tests get its URL as their endpoint, lsqm's own control calls go direct.
:mod:`lsqm.trace.names` names each call's service and operation from botocore's models, and
:mod:`lsqm.trace.record` folds the calls into :class:`~lsqm.records.TraceCall` rows.
``pytest_plugin.py`` runs inside the tests' interpreter and imports nothing of lsqm.
"""
