"""`MonitoringMixin`: baselines, monitors and their reports, ground-truth feedback, alerts and
retrain requests (docs/api.md "Monitoring", docs/monitoring.md), mixed into `plinth.Client`."""

from .paths import seg


class MonitoringMixin:
    # -- baselines ----------------------------------------------------------------------------

    def create_baseline(self, name, csv_path=None, blob=None, endpoint=None, start_ms=None,
                        end_ms=None, target_column=None, description=None):
        """Profiles reference data as a new version of baseline `name`; returns it.

        Give one source: `csv_path` (a local CSV file with a header), `blob` (the sha256 of an
        upload) or `endpoint` with `start_ms`/`end_ms` (its captured traffic in that window).
        `target_column` names the label column of a CSV.
        """
        if sum(x is not None for x in (csv_path, blob, endpoint)) != 1:
            raise ValueError("give exactly one of csv_path, blob or endpoint")
        if csv_path is not None:
            query = {"name": name, "target_column": target_column, "description": description}
            with open(csv_path, "rb") as f:
                return self._call("POST", "/baselines", query=query, data=f,
                                  content_type="text/csv")
        if blob is not None:
            source = {"blob": blob}
        else:
            if start_ms is None or end_ms is None:
                raise ValueError("an endpoint source needs start_ms and end_ms")
            source = {"endpoint": endpoint, "start_ms": int(start_ms), "end_ms": int(end_ms)}
        body = {"name": name, "source": source}
        if target_column is not None:
            body["target_column"] = target_column
        if description is not None:
            body["description"] = description
        return self._call("POST", "/baselines", json_body=body)

    def get_baseline(self, name, version=None):
        """The baseline's latest version, or the given one."""
        query = None if version is None else {"version": int(version)}
        return self._call("GET", f"/baselines/{seg(name)}", query=query)

    def list_baselines(self):
        """Every version of every baseline, by name then version."""
        return self._list("/baselines")

    def set_model_baseline(self, model, version, baseline, baseline_version=None):
        """Attaches a baseline to a model version (monitors without a baseline use it)."""
        body = {"baseline": baseline}
        if baseline_version is not None:
            body["baseline_version"] = int(baseline_version)
        return self._call("PUT", f"/models/{seg(model)}/versions/{int(version)}/baseline",
                          json_body=body)

    def get_model_baseline(self, model, version):
        return self._call("GET", f"/models/{seg(model)}/versions/{int(version)}/baseline")

    # -- monitors -----------------------------------------------------------------------------

    def create_monitor(self, name, endpoint, **spec):
        """Creates a monitor over an endpoint's captured traffic; `spec` holds the other fields
        of docs/api.md's monitor spec (baseline, window_seconds, schedule_seconds, drift,
        prediction_drift, quality, alert, enabled). Returns the monitor."""
        body = {"name": name, "endpoint": endpoint}
        body.update(spec)
        return self._call("POST", "/monitors", json_body=body)

    def get_monitor(self, name):
        """The monitor (by name or id)."""
        return self._call("GET", f"/monitors/{seg(name)}")

    def list_monitors(self):
        return self._list("/monitors")

    def delete_monitor(self, name):
        """Deletes the monitor and its reports; its open alerts resolve silently."""
        self._call("DELETE", f"/monitors/{seg(name)}")

    def run_monitor(self, name):
        """Runs the monitor now; returns its report (data_drift, prediction_drift, quality,
        alerts, ...)."""
        return self._call("POST", f"/monitors/{seg(name)}/run")

    def list_monitor_reports(self, name, limit=None):
        """The monitor's reports, newest first (at most `limit`)."""
        return self._list(f"/monitors/{seg(name)}/reports", limit=limit)

    def get_monitor_report(self, name, report_id):
        return self._call("GET", f"/monitors/{seg(name)}/reports/{seg(report_id)}")

    # -- ground truth, alerts, retraining -----------------------------------------------------

    def log_feedback(self, endpoint, labels):
        """Sends ground truth for earlier predictions: `labels` is {request_id: label} or a list
        of {"request_id", "label"} (a label is a number, or a list with one per row). Returns
        {"accepted", "matched", "unmatched"}."""
        if isinstance(labels, dict):
            items = [{"request_id": k, "label": v} for k, v in labels.items()]
        else:
            items = list(labels)
        return self._call("POST", f"/endpoints/{seg(endpoint)}/feedback",
                          json_body={"items": items})

    def list_alerts(self, monitor=None, state=None):
        """Alerts, newest first; optionally of one monitor and/or state (firing, resolved)."""
        return self._list("/alerts", query={"monitor": monitor, "state": state})

    def get_alert(self, alert_id):
        return self._call("GET", f"/alerts/{seg(alert_id)}")

    def list_retrain_requests(self, endpoint=None):
        """Retrain requests raised by alerts, newest first; optionally of one endpoint."""
        return self._list("/retrain-requests", query={"endpoint": endpoint})
