// fixnet host support: loading a model file for inference.
#include "model_loader.h"

#include <cstdio>

#include "fixnet/evaluate.h"
#include "fixnet/model_file.h"
#include "host_files.h"

namespace fixnet_host {

fixnet::Status LoadedModel::predict(int n, float* probabilities) {
  return precision == fixnet::Precision::int8 ? int8.predict(input.data(), n, probabilities)
                                              : model.predict(input.data(), n, probabilities);
}

fixnet::Status LoadedModel::evaluate(const fixnet::Dataset& data, int* correct) {
  return precision == fixnet::Precision::int8 ? fixnet::evaluate(&int8, data, 0, data.count, nullptr, correct)
                                              : fixnet::evaluate(&model, data, 0, data.count, nullptr, correct);
}

bool load_model(const std::string& path, int batch, int workers, LoadedModel& out, std::string& error) {
  std::vector<std::uint8_t> bytes;
  if (!read_file(path, bytes, error)) return false;
  fixnet::PlanOptions options;
  options.batch = batch;
  options.workers = workers;
  fixnet::Plan plan;
  fixnet::Status s = fixnet::plan_model_file(bytes.data(), bytes.size(), options, &plan);
  if (s.ok() && plan.bytes > kMaxModelBytes) {  // a file from anywhere may ask for anything
    char needs[160];
    std::snprintf(needs, sizeof needs, ": the model needs %.2f GiB of memory at batch %d, more than the %.0f GiB allowed",
                  double(plan.bytes) / double(1u << 30), batch, double(kMaxModelBytes) / double(1u << 30));
    error = path + needs;
    return false;
  }
  if (s.ok()) {
    out.arena = allocate_arena(plan.bytes);
    if (!out.arena) {
      error = path + ": not enough memory for the model";
      return false;
    }
    s = fixnet::load_model_file(bytes.data(), bytes.size(), options, out.arena.get(), plan.bytes, &out.model,
                                &out.int8, &out.precision);
  }
  if (s.ok()) {
    out.pool = std::make_unique<ThreadPool>(workers);
    s = out.precision == fixnet::Precision::int8 ? out.int8.set_parallel(out.pool->parallel())
                                                 : out.model.set_parallel(out.pool->parallel());
  }
  if (!s.ok()) {
    error = path + ": " + s.message;
    return false;
  }
  out.input.assign(std::size_t(batch) * std::size_t(plan.spec.input.size()), 0.0f);
  return true;
}

}  // namespace fixnet_host
