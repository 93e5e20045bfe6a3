#include "http/api.h"

namespace plinth::http {

std::unique_ptr<Router> BuildApiRouter(service::PlinthService& service, const ApiOptions& options) {
  auto router = std::make_unique<Router>(
      [&service](const std::string& secret) { return service.tokens().Authenticate(secret); });
  AddSystemRoutes(*router, service);
  AddTrackingRoutes(*router, service);
  AddRegistryRoutes(*router, service);
  AddServingRoutes(*router, service);
  AddFeatureRoutes(*router, service);
  AddBatchJobRoutes(*router, service);
  AddMonitoringRoutes(*router, service);
  AddOnlineRoutes(*router, service);
  AddRolloutRoutes(*router, service);
  AddMetricsRoute(*router, service, options.metrics_open);
  return router;
}

}  // namespace plinth::http
