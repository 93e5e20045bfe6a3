# Serving endpoints: specs, the model cache, the hot-swapped routing table and the predict path.
# Separate from plinth_serving (the runtimes) because it also needs the registry.
add_library(plinth_endpoints STATIC
  ${CMAKE_CURRENT_LIST_DIR}/endpoint_spec.cc
  ${CMAKE_CURRENT_LIST_DIR}/endpoint_spec_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/traffic_split.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/endpoint_manager.cc
  ${CMAKE_CURRENT_LIST_DIR}/predictor.cc
  ${CMAKE_CURRENT_LIST_DIR}/shadow_mirror.cc
  ${CMAKE_CURRENT_LIST_DIR}/serving_metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/capture_log.cc
  ${CMAKE_CURRENT_LIST_DIR}/feature_enrichment.cc
  ${CMAKE_CURRENT_LIST_DIR}/dynamic_batcher.cc
  ${CMAKE_CURRENT_LIST_DIR}/prediction_cache.cc
  ${CMAKE_CURRENT_LIST_DIR}/batch_predict.cc
  ${CMAKE_CURRENT_LIST_DIR}/batch_jobs.cc)
target_link_libraries(plinth_endpoints PUBLIC plinth_serving plinth_registry plinth_storage
                      plinth_auth PRIVATE spdlog::spdlog nlohmann_json::nlohmann_json)
target_sources(plinth_endpoints PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/rollout_window.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_guards.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout.cc
  ${CMAKE_CURRENT_LIST_DIR}/rollout_controller.cc)
