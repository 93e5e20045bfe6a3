"""`Client`: the plinth control-plane API (docs/api.md) as Python methods.

Every method sends one or more HTTP requests and returns the server's JSON objects as plain
dicts (lists of dicts for lists, already followed across pages). A non-2xx answer raises a
`PlinthError` subclass; see `plinth.transport`.
"""

import json
import os
import pathlib
import urllib.parse

from .features import FeatureStoreMixin
from .monitoring import MonitoringMixin
from .run import ActiveRun, metric_entry
from .serving import ServingMixin
from .transport import NotFoundError, AlreadyExistsError, Transport

METRICS_BATCH = 1000  # metrics per request; the server takes at most 10,000
MAX_PAGE = 1000       # the server's largest ?limit=


def _seg(value):
    """One percent-encoded path segment."""
    return urllib.parse.quote(str(value), safe="")


def _artifact_seg(path):
    """A relative artifact path, `/` kept. The server validates it (`..`, empty parts: 400)."""
    return urllib.parse.quote(str(path), safe="/")


def param_value(value):
    """A param as the string the server stores: str as is, numbers and booleans as JSON text."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalars
        except (TypeError, ValueError):
            pass
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return str(value)


def _signature(signature):
    """A dict is sent as is; a list of names or (name, type) pairs becomes {"inputs": [...]}."""
    if signature is None or isinstance(signature, dict):
        return signature
    inputs = []
    for item in signature:
        if isinstance(item, str):
            inputs.append({"name": item, "type": "float"})
        elif isinstance(item, dict):
            inputs.append(item)
        else:
            name, typ = item
            inputs.append({"name": name, "type": typ})
    return {"inputs": inputs}


class Client(ServingMixin, FeatureStoreMixin, MonitoringMixin):
    """A connection to one plinth server with one token.

    `url` is `http://host:port` (defaults to $PLINTH_URL); `token` is the bearer token (defaults
    to $PLINTH_TOKEN). `page_size` is the `?limit=` used when following list pages (1..1000).
    A Client holds one keep-alive connection and may be shared between threads (requests are
    serialized). Use it as a context manager, or call `close()`, to drop the connection.

    Serving, feature store and monitoring methods come from the mixins in serving.py,
    features.py and monitoring.py.
    """

    def __init__(self, url=None, token=None, timeout=60.0, page_size=MAX_PAGE):
        url = url or os.environ.get("PLINTH_URL")
        if not url:
            raise ValueError("no server url: pass url= or set PLINTH_URL")
        if token is None:
            token = os.environ.get("PLINTH_TOKEN")
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE}, got {page_size}")
        self.url = url.rstrip("/")
        self.page_size = page_size
        self._transport = Transport(self.url, token, timeout)

    @classmethod
    def from_data_dir(cls, data_dir, host="127.0.0.1", **kwargs):
        """A Client for the server whose data dir is `data_dir`, as its admin.

        Reads DATA_DIR/server.port and DATA_DIR/admin.token (written by `plinth server`).
        """
        data_dir = pathlib.Path(data_dir)
        port = int((data_dir / "server.port").read_text().strip())
        token = (data_dir / "admin.token").read_text().strip()
        return cls(f"http://{host}:{port}", token, **kwargs)

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, method, path, **kwargs):
        return self._transport.request(method, "/api/v1" + path, **kwargs)

    def _list(self, path, query=None, body=None, limit=None):
        """All items of a list endpoint, following next_page_token; at most `limit` if given.

        With `body` the endpoint is a POST whose body carries limit and page_token (runs/search);
        otherwise a GET with them in the query.
        """
        items, token = [], ""
        while limit is None or len(items) < limit:
            size = self.page_size if limit is None else min(self.page_size, limit - len(items))
            if body is None:
                q = dict(query or {}, limit=size)
                if token:
                    q["page_token"] = token
                page = self._call("GET", path, query=q)
            else:
                b = dict(body, limit=size)
                if token:
                    b["page_token"] = token
                page = self._call("POST", path, json_body=b)
            items.extend(page.get("items", []))
            token = page.get("next_page_token") or ""
            if not token:
                break
        return items if limit is None else items[:limit]

    # -- health and identity ------------------------------------------------------------------

    def ready(self):
        """True when GET /v2/health/ready answers {"ready": true}."""
        return bool(self._transport.request("GET", "/v2/health/ready").get("ready"))

    def whoami(self):
        """{"token_id", "name", "role"} of this client's token."""
        return self._call("GET", "/whoami")

    # -- experiments -----------------------------------------------------------------------

    def create_experiment(self, name, tags=None):
        """Creates an experiment. A taken name raises AlreadyExistsError (409)."""
        body = {"name": name}
        if tags:
            body["tags"] = {k: str(v) for k, v in tags.items()}
        return self._call("POST", "/experiments", json_body=body)

    def get_experiment(self, experiment_id):
        """The experiment with this id; NotFoundError if none."""
        return self._call("GET", f"/experiments/{_seg(experiment_id)}")

    def get_experiment_by_name(self, name):
        """The experiment with this name; NotFoundError if none."""
        items = self._call("GET", "/experiments", query={"name": name}).get("items", [])
        for exp in items:
            if exp.get("name") == name:
                return exp
        raise NotFoundError(404, "not_found", f"experiment {name!r} does not exist")

    def list_experiments(self):
        """Every experiment."""
        return self._list("/experiments")

    def get_or_create_experiment(self, name, tags=None):
        """The experiment named `name`, created (with `tags`) if it does not exist yet."""
        try:
            return self.get_experiment_by_name(name)
        except NotFoundError:
            pass
        try:
            return self.create_experiment(name, tags)
        except AlreadyExistsError:  # created by someone else in between
            return self.get_experiment_by_name(name)

    # -- runs ------------------------------------------------------------------------------

    def create_run(self, experiment_id, name=None, tags=None, data_version=None):
        """Creates a RUNNING run and returns the run object (see start_run for a context)."""
        body = {"experiment_id": experiment_id}
        if name is not None:
            body["name"] = name
        if tags:
            body["tags"] = {k: str(v) for k, v in tags.items()}
        if data_version is not None:
            body["data_version"] = data_version
        return self._call("POST", "/runs", json_body=body)

    def start_run(self, experiment_id=None, experiment_name=None, name=None, tags=None,
                  data_version=None):
        """Creates a run and returns an ActiveRun (a context manager) for logging to it.

        Give exactly one of `experiment_id` or `experiment_name`; a name is created if missing.
        Leaving the `with` block normally flushes buffered metrics and finishes the run
        FINISHED; an exception flushes, finishes it FAILED and propagates.
        """
        if (experiment_id is None) == (experiment_name is None):
            raise ValueError("give exactly one of experiment_id or experiment_name")
        if experiment_id is None:
            experiment_id = self.get_or_create_experiment(experiment_name)["id"]
        run = self.create_run(experiment_id, name=name, tags=tags, data_version=data_version)
        return ActiveRun(self, run)

    def get_run(self, run_id):
        """The run, with its params, tags and each metric's latest value."""
        return self._call("GET", f"/runs/{_seg(run_id)}")

    def search_runs(self, experiment_ids, filter=None, order_by=None, limit=None):
        """Runs of the given experiments matching `filter` (docs/api.md's syntax, e.g.
        `"metrics.rmse < 0.5 and params.depth = '6'"`), sorted by `order_by` (a string or a list
        such as `["metrics.rmse ASC"]`; default start_ms DESC). Returns at most `limit` runs
        (all when None), following pages."""
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        body = {"experiment_ids": list(experiment_ids)}
        if filter:
            body["filter"] = filter
        if order_by:
            body["order_by"] = [order_by] if isinstance(order_by, str) else list(order_by)
        return self._list("/runs/search", body=body, limit=limit)

    def set_tags(self, run_id, tags):
        """Sets (or overwrites) tags on a run; returns the run."""
        return self._call("POST", f"/runs/{_seg(run_id)}/tags",
                          json_body={"tags": {k: str(v) for k, v in tags.items()}})

    def log_params(self, run_id, params):
        """Logs params (values stored as strings; numbers and booleans as their JSON text).

        Re-logging a param with its current value is accepted; a different value raises
        ConflictError (409) and nothing of the call is written. Returns all params of the run.
        """
        body = {"params": {str(k): param_value(v) for k, v in params.items()}}
        return self._call("POST", f"/runs/{_seg(run_id)}/params", json_body=body)["params"]

    def get_params(self, run_id):
        """All params of the run, {key: string}."""
        return self._call("GET", f"/runs/{_seg(run_id)}/params")["params"]

    def log_input(self, run_id, dataset, version=None):
        """Records a feature store dataset version (default: the latest) as the run's training
        data, as MLflow's log_input; the run's data_version becomes "dataset:NAME@V" if it had
        none, and model versions registered from the run trace back to the feature views.
        Returns {"kind", "name", "version", "digest", ...}."""
        body = {"dataset": dataset}
        if version is not None:
            body["version"] = int(version)
        return self._call("POST", f"/runs/{_seg(run_id)}/inputs", json_body=body)

    def log_metrics(self, run_id, metrics, step=0):
        """Logs metrics in requests of up to 1000; returns how many were logged.

        `metrics` is a dict {key: value} (all at `step`), or a list of dicts with "key" and
        "value" and optionally "step" (default `step`) and "timestamp" (ms; default the server's
        clock). Each request is all-or-nothing; earlier requests stay logged if a later one fails.
        """
        if isinstance(metrics, dict):
            entries = [metric_entry(k, v, step) for k, v in metrics.items()]
        else:
            entries = [metric_entry(m["key"], m["value"], m.get("step", step), m.get("timestamp"))
                       for m in metrics]
        return self._log_metric_entries(run_id, entries)

    def _log_metric_entries(self, run_id, entries):
        logged = 0
        for i in range(0, len(entries), METRICS_BATCH):
            answer = self._call("POST", f"/runs/{_seg(run_id)}/metrics",
                                json_body={"metrics": entries[i:i + METRICS_BATCH]})
            logged += answer.get("logged", 0)
        return logged

    def get_metric_history(self, run_id, key):
        """Every logged value of one metric, [{"value", "step", "timestamp"}] in logging order."""
        return self._list(f"/runs/{_seg(run_id)}/metrics/{_seg(key)}")

    def log_artifact(self, run_id, local_path, artifact_path=None):
        """Uploads a local file as the run's artifact at `artifact_path` (a relative `/` path; by
        default the file's name), replacing any artifact there. Returns {"path", "sha256", "size"}.
        """
        local_path = pathlib.Path(local_path)
        artifact_path = artifact_path or local_path.name
        with open(local_path, "rb") as f:
            return self._call("PUT", f"/runs/{_seg(run_id)}/artifacts/{_artifact_seg(artifact_path)}",
                              data=f)

    def list_artifacts(self, run_id):
        """The run's artifacts, [{"path", "sha256", "size"}]."""
        return self._list(f"/runs/{_seg(run_id)}/artifacts")

    def download_artifact(self, run_id, artifact_path, local_path):
        """Writes the artifact's bytes to `local_path` (parents created); returns the Path."""
        return self._download(f"/runs/{_seg(run_id)}/artifacts/{_artifact_seg(artifact_path)}",
                              local_path)

    def finish_run(self, run_id, status="FINISHED"):
        """Ends a run as FINISHED or FAILED; returns the run. A finished run: ConflictError (409)."""
        return self._call("POST", f"/runs/{_seg(run_id)}/finish", json_body={"status": status})

    def _download(self, path, local_path):
        local_path = pathlib.Path(local_path)
        local_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = local_path.with_name(local_path.name + ".part")
        try:
            with open(tmp, "wb") as f:
                self._call("GET", path, sink=f)
            os.replace(tmp, local_path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return local_path

    # -- registry --------------------------------------------------------------------------

    def upload(self, local_path):
        """Stores a file's bytes on the server; returns {"sha256", "size"}."""
        with open(local_path, "rb") as f:
            return self._call("POST", "/uploads", data=f)

    def register_model(self, name, flavor, run_id=None, artifact_path=None, local_path=None,
                       metrics=None, params=None, data_version=None, signature=None,
                       description=None):
        """Registers a new version of model `name` (created if new); returns the version,
        status PendingManualApproval.

        The model file is either a run's artifact (`run_id` + `artifact_path`, which gives the
        version its lineage) or a local file (`local_path`, uploaded first). `signature` is a
        dict {"inputs": [{"name", "type"}]} or a list of input names (type float) or
        (name, type) pairs.
        """
        by_run = run_id is not None or artifact_path is not None
        if by_run == (local_path is not None):
            raise ValueError("give either run_id and artifact_path, or local_path")
        if by_run and (run_id is None or artifact_path is None):
            raise ValueError("run_id and artifact_path go together")
        body = {"flavor": flavor}
        if by_run:
            body.update(run_id=run_id, artifact_path=artifact_path)
        else:
            body["upload_sha256"] = self.upload(local_path)["sha256"]
        if metrics is not None:
            body["metrics"] = {k: float(v) for k, v in metrics.items()}
        if params is not None:
            body["params"] = {k: param_value(v) for k, v in params.items()}
        if data_version is not None:
            body["data_version"] = data_version
        if signature is not None:
            body["signature"] = _signature(signature)
        if description is not None:
            body["description"] = description
        return self._call("POST", f"/models/{_seg(name)}/versions", json_body=body)

    def create_model(self, name, description=None, tags=None):
        """Creates an empty registered model; a taken name raises AlreadyExistsError."""
        body = {"name": name}
        if description is not None:
            body["description"] = description
        if tags:
            body["tags"] = {k: str(v) for k, v in tags.items()}
        return self._call("POST", "/models", json_body=body)

    def get_model(self, name):
        """The registered model, with latest_version and its aliases {alias: version}."""
        return self._call("GET", f"/models/{_seg(name)}")

    def list_models(self):
        return self._list("/models")

    def get_model_version(self, name, version):
        return self._call("GET", f"/models/{_seg(name)}/versions/{int(version)}")

    def list_model_versions(self, name):
        """The model's versions, oldest first."""
        return self._list(f"/models/{_seg(name)}/versions")

    def approve(self, name, version, comment=None):
        """Approves a PendingManualApproval version (approver role; not the token that
        registered it: PermissionDeniedError). A decided version: ConflictError."""
        return self._decide("approve", name, version, comment)

    def reject(self, name, version, comment=None):
        """Rejects a PendingManualApproval version; same rules as approve."""
        return self._decide("reject", name, version, comment)

    def _decide(self, action, name, version, comment):
        body = {} if comment is None else {"comment": comment}
        return self._call("POST", f"/models/{_seg(name)}/versions/{int(version)}/{action}",
                          json_body=body)

    def set_alias(self, name, alias, version):
        """Points `alias` at an Approved version (else FailedPreconditionError, 422)."""
        return self._call("PUT", f"/models/{_seg(name)}/aliases/{_seg(alias)}",
                          json_body={"version": int(version)})

    def get_alias(self, name, alias, at_ms=None):
        """{"model", "alias", "version", "set_ms", "set_by"}: now, or as it was at `at_ms`
        (NotFoundError if the alias named nothing then)."""
        query = None if at_ms is None else {"at_ms": int(at_ms)}
        return self._call("GET", f"/models/{_seg(name)}/aliases/{_seg(alias)}", query=query)

    def alias_history(self, name, alias):
        """Every move of the alias, oldest first."""
        return self._list(f"/models/{_seg(name)}/aliases/{_seg(alias)}/history")

    def download_model(self, name, version, local_path):
        """Writes the version's model file to `local_path`; returns the Path."""
        return self._download(f"/models/{_seg(name)}/versions/{int(version)}/artifact", local_path)

    # -- admin -----------------------------------------------------------------------------

    def create_token(self, name, role):
        """Creates a token (admin only); the answer's "token" is the secret, shown only once."""
        return self._call("POST", "/tokens", json_body={"name": name, "role": role})

    def list_tokens(self):
        return self._list("/tokens")

    def revoke_token(self, token_id):
        """Revokes a token; it stops working at once."""
        self._call("DELETE", f"/tokens/{_seg(token_id)}")

    def audit_events(self, after_seq=None):
        """Audit events, oldest first (those after `after_seq` if given), following pages."""
        return self._list("/audit", query={"after_seq": after_seq})

    def verify_audit(self):
        """The server's check of the audit hash chain: {"ok", "events", "first_bad_seq", "message"}."""
        return self._call("GET", "/audit/verify")
