"""Subtype, RNA karyotype, risk group and therapy-target readouts per sample (issue 10).

``stage.run`` is the cohort stage; ``rules``, ``karyotype``, ``arms``, ``reference`` and ``risk``
hold the science as pure functions.
"""
