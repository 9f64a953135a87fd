"""The cohort report: one self-contained HTML page, and MultiQC over the QC logs.

``tkiseq.report.build.run`` (a results folder) and ``run_files`` (the files themselves) are the
stage; ``tkiseq.report.params.ReportParams`` holds its defaults.
"""
