"""`ServingMixin`: endpoints, predictions, rollouts and batch jobs (docs/api.md "Serving",
"Rollouts", "Batch jobs"), mixed into `plinth.Client`."""

import pathlib

from .paths import seg, wait_until

ENDPOINT_OPTIONS = ("capture", "batching", "cache", "fallback", "features")


def _endpoint_body(variants, shadow, options):
    unknown = set(options) - set(ENDPOINT_OPTIONS)
    if unknown:
        raise TypeError(f"unknown endpoint options: {sorted(unknown)}")
    body = {"variants": [dict(v) for v in variants]}
    if shadow is not None:
        body["shadow"] = shadow
    body.update({k: v for k, v in options.items() if v is not None})
    return body


class ServingMixin:
    # -- endpoints ----------------------------------------------------------------------------

    def create_endpoint(self, name, variants, shadow=None, **options):
        """Deploys Approved model versions on a new endpoint (approver role); returns it.

        `variants` is a list of {"name", "model", "version" | "alias", "weight"?}; `shadow` an
        optional {"model", "version" | "alias", "tolerance"?}. `options` may be `capture`,
        `batching`, `cache`, `fallback` and `features` (dicts as docs/api.md gives them).
        """
        body = dict(_endpoint_body(variants, shadow, options), name=name)
        return self._call("POST", "/endpoints", json_body=body)

    def get_endpoint(self, name):
        """The endpoint, with each variant's serving_version and runtime, `ready` and `error`."""
        return self._call("GET", f"/endpoints/{seg(name)}")

    def list_endpoints(self):
        return self._list("/endpoints")

    def update_endpoint(self, name, variants, shadow=None, **options):
        """Replaces the endpoint's spec (a hot swap; same arguments as create_endpoint)."""
        return self._call("PUT", f"/endpoints/{seg(name)}",
                          json_body=_endpoint_body(variants, shadow, options))

    def delete_endpoint(self, name):
        """Deletes the endpoint (ConflictError while a rollout runs on it)."""
        self._call("DELETE", f"/endpoints/{seg(name)}")

    def predict(self, endpoint, instances=None, inputs=None, routing_key=None,
                echo_features=False):
        """Predictions for `instances` ([{feature: value}], matched by name; None is missing) or
        `inputs` ([[...]] in signature order). `routing_key` (X-Routing-Key) pins a variant.
        `echo_features` asks an endpoint with online features for the inputs the model got.
        Returns {"predictions", "variant", "model", "version", "runtime", "request_id",
        "served_by", ...}."""
        if (instances is None) == (inputs is None):
            raise ValueError("give exactly one of instances or inputs")
        body = {"instances": list(instances)} if inputs is None else {"inputs": list(inputs)}
        if echo_features:
            body["echo_features"] = True
        headers = {"X-Routing-Key": str(routing_key)} if routing_key is not None else None
        return self._call("POST", f"/endpoints/{seg(endpoint)}/predict", json_body=body,
                          headers=headers)

    def list_captures(self, endpoint, since_ms=None, until_ms=None):
        """The endpoint's captured predictions (with `capture.sample_rate` > 0), oldest first:
        [{"request_id", "time_ms", "variant", "model", "version", "latency_ms", "request",
        "predictions"}], following pages."""
        return self._list(f"/endpoints/{seg(endpoint)}/captures",
                          query={"since_ms": since_ms, "until_ms": until_ms})

    # -- rollouts -----------------------------------------------------------------------------

    def start_rollout(self, endpoint, model, version=None, alias=None, steps=None,
                      step_seconds=None, variant=None, **guards):
        """Starts a progressive canary of an Approved version (or an alias) on `endpoint`
        (approver role); returns the rollout. `guards` are max_error_rate, max_p99_ms,
        max_mean_shift and min_requests (max_error_rate=None turns that guard off)."""
        if (version is None) == (alias is None):
            raise ValueError("give exactly one of version or alias")
        unknown = set(guards) - {"max_error_rate", "max_p99_ms", "max_mean_shift", "min_requests"}
        if unknown:
            raise TypeError(f"unknown rollout guards: {sorted(unknown)}")
        body = {"model": model}
        if version is not None:
            body["version"] = int(version)
        else:
            body["alias"] = alias
        if steps is not None:
            body["steps"] = list(steps)
        if step_seconds is not None:
            body["step_seconds"] = step_seconds
        if variant is not None:
            body["variant"] = variant
        body.update(guards)
        return self._call("POST", f"/endpoints/{seg(endpoint)}/rollouts", json_body=body)

    def get_rollout(self, endpoint, rollout_id):
        """The rollout: state (running, promoted, rolled_back, aborted), percent, history, ..."""
        return self._call("GET", f"/endpoints/{seg(endpoint)}/rollouts/{seg(rollout_id)}")

    def list_rollouts(self, endpoint):
        """The endpoint's rollouts, newest first."""
        return self._list(f"/endpoints/{seg(endpoint)}/rollouts")

    def abort_rollout(self, endpoint, rollout_id):
        """Aborts a running rollout, restoring the endpoint; ConflictError if it is not running."""
        return self._call("POST", f"/endpoints/{seg(endpoint)}/rollouts/{seg(rollout_id)}/abort")

    def wait_rollout(self, endpoint, rollout_id, timeout=600.0, poll=0.5):
        """Polls the rollout until its state is not `running`; returns it (TimeoutError after
        `timeout` seconds)."""
        return wait_until(lambda: self.get_rollout(endpoint, rollout_id),
                          lambda r: r["state"] != "running", timeout, poll,
                          f"rollout {rollout_id}")

    # -- batch jobs ---------------------------------------------------------------------------

    def create_batch_job(self, endpoint, local_path, format=None, strict=False):
        """Uploads a local CSV or JSON lines file and starts a batch prediction job over it on
        `endpoint`; returns the job (status queued). `format` is "csv" or "jsonl" (default:
        the server guesses from the first byte); `strict` fails the job on the first bad row."""
        body = {"endpoint": endpoint, "input": self.upload(local_path)["sha256"],
                "strict": bool(strict)}
        if format is not None:
            body["format"] = format
        return self._call("POST", "/batch-jobs", json_body=body)

    def get_batch_job(self, job_id):
        """The job: status, rows_total, rows_done, rows_bad, bad_rows, error, ..."""
        return self._call("GET", f"/batch-jobs/{seg(job_id)}")

    def list_batch_jobs(self):
        """Every batch job, newest first."""
        return self._list("/batch-jobs")

    def wait_batch_job(self, job_id, timeout=600.0, poll=0.2):
        """Polls until the job succeeded or failed; returns it (TimeoutError after `timeout`)."""
        return wait_until(lambda: self.get_batch_job(job_id),
                          lambda j: j["status"] in ("succeeded", "failed"), timeout, poll,
                          f"batch job {job_id}")

    def download_batch_output(self, job_id, local_path):
        """Writes a succeeded job's predictions CSV (line,prediction,variant,version) to
        `local_path`; returns the Path. ConflictError before the job succeeded."""
        return self._download(f"/batch-jobs/{seg(job_id)}/output", pathlib.Path(local_path))
