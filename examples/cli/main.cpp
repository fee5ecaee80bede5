// fixnet-mnist: train, evaluate and use the Deep MNIST models from the command line.
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.h"

namespace {

const char* kUsage =
    "usage:\n"
    "  fixnet-mnist train --model softmax|cnn|micro|nano [--data DIR] [--steps N] [--batch N]\n"
    "                     [--lr X] [--keep-prob X] [--seed N] [--out FILE] [--threads N]\n"
    "                     [--save-state FILE] [--resume FILE]\n"
    "  fixnet-mnist eval --model-file FILE [--data DIR] [--threads N] [--predictions FILE]\n"
    "  fixnet-mnist classify --model-file FILE [--threads N] IMAGE...\n"
    "  fixnet-mnist quantize --model-file FILE --out FILE [--calibration N] [--data DIR] [--threads N]\n"
    "  fixnet-mnist export --model-file FILE --format c --name NAME [--out FILE]\n"
    "\n"
    "Defaults are each model's recipe: softmax 1000 steps of 100, gradient descent 0.5;\n"
    "cnn 20000 steps of 50, Adam 1e-4, dropout keep 0.5; micro 30000 steps of 50, Adam 1e-3;\n"
    "nano 30000 steps of 50, Adam 3e-3. Seed 0. Threads: all cores.\n"
    "quantize makes an int8 model (TensorFlow Lite's post-training quantization) calibrated on\n"
    "the first N training images (3000); eval and classify take float and int8 files alike.\n"
    "eval --predictions writes a line per test digit: INDEX LABEL PREDICTED LOGIT...\n"
    "train --save-state writes the whole training state (optimizer, generator, minibatch order);\n"
    "train --resume carries on from one to --steps exactly as an unbroken run would.\n"
    "export writes a C++ header with the model's spec and parameters, for firmware.\n"
    "--data DIR holds the four MNIST files (raw or .gz); without it $MNIST_DIR, then data/mnist.\n"
    "classify reads PNG, JPEG, BMP or PGM images of a digit and prints PATH<TAB>DIGIT<TAB>PROBABILITY.\n";

}  // namespace

namespace fixnet_cli {

void report_error(const std::string& message) { std::fprintf(stderr, "fixnet-mnist: %s\n", message.c_str()); }

int usage_error(const std::string& message) {
  report_error(message);
  std::fputs(kUsage, stderr);
  return kExitUsage;
}

}  // namespace fixnet_cli

int main(int argc, char** argv) {
  using namespace fixnet_cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  struct Command {
    const char* name;
    std::set<std::string> options;
    int (*run)(const Args&);
  };
  const Command commands[] = {
      {"train",
       {"model", "data", "steps", "batch", "lr", "keep-prob", "seed", "out", "threads", "save-state", "resume"},
       train_command},
      {"eval", {"model-file", "data", "threads", "predictions"}, eval_command},
      {"classify", {"model-file", "threads"}, classify_command},
      {"quantize", {"model-file", "out", "calibration", "data", "threads"}, quantize_command},
      {"export", {"model-file", "format", "name", "out"}, export_command},
  };
  for (const Command& c : commands) {
    if (command != c.name) continue;
    Args args;
    args.command = command;
    std::string error;
    if (!parse_args(argc, argv, c.options, args, error)) return usage_error(error);
    return c.run(args);
  }
  return usage_error("unknown command '" + command + "'");
}
