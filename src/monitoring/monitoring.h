#pragma once
// Monitoring: the service side of monitoring in one object - baselines, ground-truth feedback,
// monitors with their scheduler and reports, alerts with webhook delivery, retrain requests -
// wired over the metadata store, the blob store, serving's capture log and the registry.
// PlinthService owns one; front ends reach the parts through the accessors. Thread-safe.

#include <memory>

#include "monitoring/alert_store.h"
#include "monitoring/baseline_store.h"
#include "monitoring/feedback_store.h"
#include "monitoring/monitor_service.h"

namespace plinth::monitoring {

class Monitoring {
 public:
  // Creates the tables. The scheduler starts with Start(). The references must outlive this.
  static Result<std::unique_ptr<Monitoring>> Open(storage::MetadataStore& metadata,
                                                  storage::BlobStore& blobs,
                                                  serving::CaptureLog& captures,
                                                  registry::ModelRegistry& registry,
                                                  EndpointLookup endpoints,
                                                  MonitorServiceOptions options = {});

  void Start() { monitors_->Start(); }

  BaselineStore& baselines() { return baselines_; }
  FeedbackStore& feedback() { return feedback_; }
  AlertStore& alerts() { return alerts_; }
  MonitorService& monitors() { return *monitors_; }

 private:
  Monitoring(storage::MetadataStore& metadata, storage::BlobStore& blobs,
             serving::CaptureLog& captures, registry::ModelRegistry& registry)
      : baselines_(metadata, blobs, captures, registry),
        feedback_(metadata, captures),
        alerts_(metadata) {}

  BaselineStore baselines_;
  FeedbackStore feedback_;
  AlertStore alerts_;
  std::unique_ptr<MonitorService> monitors_;  // destroyed first: stops the threads
};

inline Result<std::unique_ptr<Monitoring>> Monitoring::Open(
    storage::MetadataStore& metadata, storage::BlobStore& blobs, serving::CaptureLog& captures,
    registry::ModelRegistry& registry, EndpointLookup endpoints, MonitorServiceOptions options) {
  std::unique_ptr<Monitoring> m(new Monitoring(metadata, blobs, captures, registry));
  RETURN_IF_ERROR(m->baselines_.InitSchema());
  RETURN_IF_ERROR(m->feedback_.InitSchema());
  RETURN_IF_ERROR(m->alerts_.InitSchema());
  RETURN_IF_ERROR(m->alerts_.FailLostDeliveries().status());
  m->monitors_ = std::make_unique<MonitorService>(metadata, captures, m->baselines_, m->feedback_,
                                                  m->alerts_, std::move(endpoints), options);
  RETURN_IF_ERROR(m->monitors_->InitSchema());
  return m;
}

}  // namespace plinth::monitoring
