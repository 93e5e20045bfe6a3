"""`ActiveRun`: a run being logged to, as a context manager.

    with client.start_run(experiment_name="demand") as run:
        run.log_params({"max_depth": 6})
        for step in range(100):
            run.log_metric("rmse", rmse, step=step)     # buffered
    # here the buffer is flushed and the run is FINISHED (FAILED if the block raised)
"""

import logging
import math
import time

log = logging.getLogger("plinth")

BUFFER_LIMIT = 1000  # buffered metrics that trigger a flush; also the size of each request


def metric_entry(key, value, step=0, timestamp=None):
    """One metric for POST .../metrics. Raises ValueError for a value that is not a finite number."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"metric {key!r} has value {value}; only finite numbers can be logged")
    entry = {"key": str(key), "value": value, "step": int(step)}
    if timestamp is not None:
        entry["timestamp"] = int(timestamp)
    return entry


class ActiveRun:
    """A RUNNING run plus a buffer of metrics not yet sent.

    Metrics logged with `log_metric`/`log_metrics` are kept in memory (stamped with the client's
    clock when logged) and sent in requests of up to 1000 when the buffer fills, on `flush()`,
    and on `finish()`. Params, tags and artifacts are sent at once. Not thread-safe.

    Attributes: `id` (the run id), `experiment_id`, `info` (the run object as last returned by
    the server: at creation, then at finish).
    """

    def __init__(self, client, run):
        self._client = client
        self.info = run
        self.id = run["id"]
        self.experiment_id = run.get("experiment_id")
        self._buffer = []
        self._finished = False

    def __repr__(self):
        return f"ActiveRun(id={self.id!r}, buffered={len(self._buffer)})"

    def log_param(self, key, value):
        """Logs one param; a different value than already logged raises ConflictError."""
        return self._client.log_params(self.id, {key: value})

    def log_params(self, params):
        """Logs several params at once (all or none)."""
        return self._client.log_params(self.id, params)

    def set_tags(self, tags):
        """Sets or overwrites tags; returns the run."""
        return self._client.set_tags(self.id, tags)

    def log_metric(self, key, value, step=0, timestamp=None):
        """Buffers one metric value (ValueError if it is not a finite number). `timestamp` in
        ms defaults to now."""
        if timestamp is None:
            timestamp = int(time.time() * 1000)
        self._buffer.append(metric_entry(key, value, step, timestamp))
        if len(self._buffer) >= BUFFER_LIMIT:
            self.flush()

    def log_metrics(self, metrics, step=0):
        """Buffers {key: value} at one step."""
        timestamp = int(time.time() * 1000)
        for key, value in metrics.items():
            self.log_metric(key, value, step, timestamp)

    def flush(self):
        """Sends every buffered metric. On failure the unsent metrics stay in the buffer."""
        while self._buffer:
            batch = self._buffer[:BUFFER_LIMIT]
            self._client._log_metric_entries(self.id, batch)
            del self._buffer[:len(batch)]

    def log_input(self, dataset, version=None):
        """Records a feature store dataset version as this run's training data."""
        return self._client.log_input(self.id, dataset, version)

    def log_artifact(self, local_path, artifact_path=None):
        """Uploads a file as an artifact of this run; returns {"path", "sha256", "size"}."""
        return self._client.log_artifact(self.id, local_path, artifact_path)

    def finish(self, status="FINISHED"):
        """Flushes the buffer, then ends the run with `status`; returns the run.

        If the flush fails the run is still ended, as FAILED, and the flush error raised.
        """
        if self._finished:
            raise RuntimeError(f"run {self.id} is already finished")
        try:
            self.flush()
        except BaseException:
            try:
                self._end("FAILED")
            except Exception as finish_error:  # noqa: BLE001
                log.warning("plinth: run %s: could not mark it FAILED: %s", self.id, finish_error)
            raise
        return self._end(status)

    def _end(self, status):
        self._finished = True
        self.info = self._client.finish_run(self.id, status)
        return self.info

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._finished:
            return False
        if exc_type is None:
            self.finish("FINISHED")
            return False
        # The block failed: record what it logged and mark the run FAILED, but let the block's
        # own exception be the one that propagates.
        try:
            self.flush()
        except Exception as flush_error:  # noqa: BLE001
            log.warning("plinth: run %s: could not flush %d metrics: %s",
                        self.id, len(self._buffer), flush_error)
        try:
            self._end("FAILED")
        except Exception as finish_error:  # noqa: BLE001
            log.warning("plinth: run %s: could not mark it FAILED: %s", self.id, finish_error)
        return False
