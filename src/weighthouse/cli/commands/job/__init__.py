"""Run apps on repos as jobs, and follow them.

A job reads its inputs at the commits their revisions named when it was submitted, and commits
its result files to one branch, once; only its owner sees it.
"""
