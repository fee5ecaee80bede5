// fixnet-mnist eval: test accuracy of a saved model.
#include <cstdio>

#include "commands.h"
#include "mnist_files.h"
#include "model_loader.h"

namespace fixnet_cli {

int eval_command(const Args& args) {
  if (!args.has("model-file")) return usage_error("eval needs --model-file FILE");
  if (!args.positional.empty()) return usage_error("eval takes no positional arguments");
  std::string error;
  int threads = 1;
  if (!args.threads(threads, error)) return usage_error(error);
  fixnet_host::LoadedModel loaded;
  if (!fixnet_host::load_model(args.text("model-file", ""), 100, threads, loaded, error)) {
    report_error(error);
    return kExitFailure;
  }
  fixnet_host::MnistData data;
  if (!fixnet_host::load_mnist(fixnet_host::mnist_directory(args.text("data", "")), data, error)) {
    report_error(error);
    return kExitFailure;
  }
  int correct = 0;
  const fixnet::Status s = loaded.evaluate(data.test, &correct);
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  std::printf("test accuracy %g\n", double(correct) / data.test.count);
  return kExitOk;
}

}  // namespace fixnet_cli
