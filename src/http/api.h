#pragma once
// The plinth HTTP API (docs/api.md): builds the Router over the service.

#include <memory>

#include "http/router.h"
#include "service/plinth_service.h"

namespace plinth::http {

struct ApiOptions {
  // Serve /metrics without a token (for a Prometheus scraper on a private network).
  bool metrics_open = false;
};

// The service must outlive the router.
std::unique_ptr<Router> BuildApiRouter(service::PlinthService& service,
                                       const ApiOptions& options = {});

// Route groups, one file each.
void AddSystemRoutes(Router& router, service::PlinthService& service);    // health, tokens, audit
void AddTrackingRoutes(Router& router, service::PlinthService& service);  // experiments, runs
void AddRegistryRoutes(Router& router, service::PlinthService& service);  // uploads, models
void AddServingRoutes(Router& router, service::PlinthService& service);   // endpoints, /v2/models
// entities, feature views, ingest, historical features, datasets, run inputs, lineage
void AddFeatureRoutes(Router& router, service::PlinthService& service);
void AddBatchJobRoutes(Router& router, service::PlinthService& service);  // batch jobs
void AddMonitoringRoutes(Router& router, service::PlinthService& service);  // monitors, alerts
void AddOnlineRoutes(Router& router, service::PlinthService& service);   // online features
void AddRolloutRoutes(Router& router, service::PlinthService& service);   // canary rollouts
void AddMetricsRoute(Router& router, service::PlinthService& service, bool open);  // /metrics

}  // namespace plinth::http
