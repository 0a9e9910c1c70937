"""The project's settings for the campaign benchmarks (bench/campaign_send.py, bench/campaign_fanout.py):
a cluster name of its own (a shared Redis keeps other clusters' queues apart) and, when the
benchmark asks, a shorter task timeout and redelivery delay than production's 300 / 360 s, so
that the crash run does not wait six minutes for the dead worker's batch to come back. The
delivery ledger's lease follows the timeout (kernel.deliveries.delivery_lease), as in production."""

import os

from omnishop.settings import *  # noqa: F403

Q_CLUSTER = {**Q_CLUSTER, "name": os.environ.get("BENCH_Q_NAME", "bench-campaigns")}  # noqa: F405
if os.environ.get("BENCH_Q_TIMEOUT"):
    Q_CLUSTER["timeout"] = int(os.environ["BENCH_Q_TIMEOUT"])
if os.environ.get("BENCH_Q_RETRY"):
    Q_CLUSTER["retry"] = int(os.environ["BENCH_Q_RETRY"])
