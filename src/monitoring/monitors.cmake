# The service side of monitoring: baselines, feedback, monitors with their scheduler and reports,
# alerts and webhook delivery. Separate from plinth_monitoring (pure statistics, used by the CLI
# too) because it needs storage, the audit log, serving's capture log, the registry and Beast.
add_library(plinth_monitors STATIC
  ${CMAKE_CURRENT_LIST_DIR}/feedback_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/capture_scan.cc
  ${CMAKE_CURRENT_LIST_DIR}/baseline_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/alert_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/webhook_sender.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitor_service.cc)
target_link_libraries(plinth_monitors PUBLIC plinth_monitoring plinth_endpoints plinth_auth
                      plinth_storage PRIVATE Boost::headers spdlog::spdlog Threads::Threads)
