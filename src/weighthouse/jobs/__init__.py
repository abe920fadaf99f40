"""The job runner: a front-end that runs installed apps (``weighthouse.apps``) on jobs the
catalog holds. :mod:`.registry` finds the apps, :mod:`.pool` runs worker threads that claim
jobs, :mod:`.runner` runs one job (heartbeats, cancel, time limit, results), and
:mod:`.context` and :mod:`.inputs` are what an app sees of it. Every read and write goes through
the domain's use cases as the job's owner.
"""
