// fixnet host support: loading a model file for inference.
#include "model_loader.h"

#include <vector>

#include "fixnet/model_file.h"
#include "host_files.h"

namespace fixnet_host {

bool load_model(const std::string& path, int batch, int workers, LoadedModel& out, std::string& error) {
  std::vector<std::uint8_t> bytes;
  if (!read_file(path, bytes, error)) return false;
  fixnet::ModelSpec spec;
  fixnet::Status s = fixnet::read_model_spec(bytes.data(), bytes.size(), &spec);
  if (s.ok()) {
    fixnet::PlanOptions options;
    options.batch = batch;
    options.workers = workers;
    const fixnet::Plan plan = fixnet::plan(spec, options);
    out.arena = allocate_arena(plan.bytes);
    if (!out.arena) {
      error = path + ": not enough memory for the model";
      return false;
    }
    s = out.model.init(spec, options, out.arena.get(), plan.bytes);
  }
  if (s.ok()) s = fixnet::load_model_file(bytes.data(), bytes.size(), &out.model);
  if (s.ok()) {
    out.pool = std::make_unique<ThreadPool>(workers);
    s = out.model.set_parallel(out.pool->parallel());
  }
  if (!s.ok()) {
    error = path + ": " + s.message;
    return false;
  }
  return true;
}

}  // namespace fixnet_host
