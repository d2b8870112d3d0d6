"""The benchmarks' gunicorn configuration file: deliberately empty.

bench/api.py passes it with --config so that gunicorn does not pick up a `gunicorn.conf.py`
from the repository root (the production settings: sync workers, an access-log line per
request, workers recycled every ~2,000 requests), which would change what is measured. The
benchmarks' server options are all on the command line in `bench.api.start_gunicorn`.
"""
