"""The task queue seam: the only code in fluxweb that knows which task backend runs the tasks.

``FLUXWEB_TASK_BACKEND`` picks it: ``database`` (django-tasks-db, a table in fluxweb's own
database) or ``rq`` (django-tasks-rq on Redis, ``REDIS_URL``). Everything else declares
tasks with Django's ``@task`` and enqueues them with :func:`fluxweb.queue.enqueue.enqueue`.
"""
