"""`FeatureStoreMixin`: entities and feature views (apply), ingest, push, training sets,
datasets and lineage, materialization and online reads (docs/api.md "Feature store",
"Datasets and lineage", "Online features"), mixed into `plinth.Client`."""

import pathlib

from .paths import seg, wait_until

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


def _apply_query(force, dry_run):
    return {"force": "true" if force else None, "dry_run": "true" if dry_run else None}


def _is_path(value):
    return isinstance(value, (str, pathlib.PurePath))


def online_features_to_dict(answer):
    """An online read's answer as {feature name: [values]} (Feast's `to_dict()`)."""
    names = answer["metadata"]["feature_names"]
    return {name: result["values"] for name, result in zip(names, answer["results"])}


class FeatureStoreMixin:
    # -- definitions --------------------------------------------------------------------------

    def apply_entity(self, entity, force=False, dry_run=False):
        """Creates or updates an entity from a dict {"name", "join_keys", ...} (`feast apply`);
        returns it with `action` and `changes`."""
        return self._call("POST", "/entities", json_body=dict(entity),
                          query=_apply_query(force, dry_run))

    def get_entity(self, name):
        return self._call("GET", f"/entities/{seg(name)}")

    def list_entities(self):
        return self._list("/entities")

    def apply_feature_view(self, view, force=False, dry_run=False):
        """Creates a feature view from a dict {"name", "entities", "features", "ttl_seconds"?,
        ...}, or makes a new version when its schema changed. A breaking change raises
        ConflictError (its `details["changes"]` lists them) unless `force`; `dry_run` writes
        nothing. Returns the latest version with `action` and `changes`."""
        return self._call("POST", "/feature-views", json_body=dict(view),
                          query=_apply_query(force, dry_run))

    def get_feature_view(self, name, version=None):
        """The latest version (with `versions`), or the given version."""
        if version is None:
            return self._call("GET", f"/feature-views/{seg(name)}")
        return self._call("GET", f"/feature-views/{seg(name)}/versions/{int(version)}")

    def list_feature_views(self):
        return self._list("/feature-views")

    # -- writing data -------------------------------------------------------------------------

    def ingest(self, view, local_path, content_type=None):
        """Ingests a local CSV or JSON lines file (by suffix: .jsonl/.ndjson/.json are JSON lines)
        into the view's offline store, all or nothing. Returns the ingest record with `stats`;
        a rejected batch raises InvalidArgumentError whose `details["failures"]` lists rows."""
        local_path = pathlib.Path(local_path)
        if content_type is None:
            jsonl = local_path.suffix.lower() in JSONL_SUFFIXES
            content_type = "application/x-ndjson" if jsonl else "text/csv"
        with open(local_path, "rb") as f:
            return self._call("POST", f"/feature-views/{seg(view)}/ingest", data=f,
                              content_type=content_type)

    def list_ingests(self, view):
        """The view's ingest records, newest first."""
        return self._list(f"/feature-views/{seg(view)}/ingests")

    def push(self, view, rows):
        """Writes rows ([{column: value}] with join keys and event_timestamp) to the offline store
        and the newest per entity to the online store; returns the ingest record."""
        return self._call("POST", f"/feature-views/{seg(view)}/push",
                          json_body={"rows": list(rows)})

    # -- training sets and datasets -----------------------------------------------------------

    def get_historical_features(self, entity_rows, features, save_as=None, description=None,
                                full_feature_names=False, output_path=None):
        """A point-in-time correct training set.

        `entity_rows` is a list of dicts (join keys, event_timestamp, labels) or the path of a
        CSV file with a header; `features` is a list of "view:feature" refs. `save_as` keeps the
        result as a dataset (scientist role). Without `output_path`, returns the server's JSON
        {"columns", "row_count", "rows", "join_ms", "dataset"}; with it, writes the CSV there
        and returns the Path.
        """
        body = {"features": list(features)}
        if _is_path(entity_rows):
            body["entities_csv"] = pathlib.Path(entity_rows).read_text()
        else:
            body["entities"] = list(entity_rows)
        if save_as is not None:
            body["save_as"] = save_as
        if description is not None:
            body["description"] = description
        if full_feature_names:
            body["full_feature_names"] = True
        if output_path is None:
            return self._call("POST", "/features/historical", json_body=body,
                              query={"format": "json"})
        output_path = pathlib.Path(output_path)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        with open(output_path, "wb") as f:
            self._call("POST", "/features/historical", json_body=body, query={"format": "csv"},
                       sink=f)
        return output_path

    def list_datasets(self):
        """Every dataset (latest versions), by name."""
        return self._list("/datasets")

    def get_dataset(self, name, version=None):
        """The latest version (with `versions`), or the given version."""
        if version is None:
            return self._call("GET", f"/datasets/{seg(name)}")
        return self._call("GET", f"/datasets/{seg(name)}/versions/{int(version)}")

    def download_dataset(self, name, local_path, version=None):
        """Writes the dataset version's CSV (default latest) to `local_path`; returns the Path."""
        path = f"/datasets/{seg(name)}" + ("" if version is None else f"/versions/{int(version)}")
        return self._download(path + "/csv", local_path)

    def dataset_lineage(self, name, version=None):
        """{"dataset", "feature_views", "runs", "model_versions"} of a dataset version."""
        query = None if version is None else {"version": int(version)}
        return self._call("GET", f"/datasets/{seg(name)}/lineage", query=query)

    def list_run_inputs(self, run_id):
        """The datasets recorded as the run's inputs (see log_input)."""
        return self._list(f"/runs/{seg(run_id)}/inputs")

    def model_version_lineage(self, name, version):
        """{"model_version", "run", "inputs", "datasets", "feature_views"} of a model version."""
        return self._call("GET", f"/models/{seg(name)}/versions/{int(version)}/lineage")

    # -- materialization and online reads ----------------------------------------------------

    def materialize(self, view, start, end, wait=False):
        """Copies the newest offline row per entity with event time in [start, end) (ms or RFC
        3339 text) to the online store. Returns the job: running, or finished with `wait`."""
        body = {"start": start, "end": end, "wait": bool(wait)}
        return self._call("POST", f"/feature-views/{seg(view)}/materialize", json_body=body)

    def materialize_incremental(self, view, end=None, wait=False):
        """Materializes from the view's watermark to `end` (default now); returns the job."""
        body = {"wait": bool(wait)}
        if end is not None:
            body["end"] = end
        return self._call("POST", f"/feature-views/{seg(view)}/materialize-incremental",
                          json_body=body)

    def get_materialization(self, view, job_id):
        return self._call("GET", f"/feature-views/{seg(view)}/materializations/{seg(job_id)}")

    def list_materializations(self, view):
        """The view's materialization jobs, newest first."""
        return self._list(f"/feature-views/{seg(view)}/materializations")

    def wait_materialization(self, view, job_id, timeout=600.0, poll=0.2):
        """Polls the job until it is not running; returns it (TimeoutError after `timeout`)."""
        return wait_until(lambda: self.get_materialization(view, job_id),
                          lambda j: j["status"] != "running", timeout, poll,
                          f"materialization {job_id}")

    def get_online_features(self, features, entity_rows):
        """Latest feature values per entity (Feast's get_online_features).

        `entity_rows` is a list of dicts [{"zone_id": 1}, ...] or a dict of lists
        {"zone_id": [1, 2]}. Returns the server's answer {"metadata": {"feature_names"},
        "results": [{"values", "statuses", "event_timestamps"}]}; `online_features_to_dict`
        turns it into {name: values}.
        """
        if isinstance(entity_rows, dict):
            entities = {k: list(v) for k, v in entity_rows.items()}
        else:
            rows = list(entity_rows)
            keys = []
            for row in rows:
                keys.extend(k for k in row if k not in keys)
            entities = {k: [row.get(k) for row in rows] for k in keys}
        return self._call("POST", "/features/online",
                          json_body={"features": list(features), "entities": entities})
