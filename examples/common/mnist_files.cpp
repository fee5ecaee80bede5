// fixnet host support: loading the four MNIST files.
#include "mnist_files.h"

#include <cstdlib>

#include "fixnet/mnist.h"
#include "host_files.h"

namespace fixnet_host {

std::string mnist_directory(const std::string& requested) {
  if (!requested.empty()) return requested;
  const char* env = std::getenv("MNIST_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "data/mnist";
}

namespace {

bool load_idx(const std::string& directory, const std::string& name, std::vector<std::uint8_t>& bytes,
              fixnet::IdxArray& array, std::string& error) {
  std::string path = directory + "/" + name;
  if (!file_exists(path)) path += ".gz";
  if (!file_exists(path)) {
    error = "MNIST file " + name + "[.gz] not found in " + directory +
            " (run tools/fetch-mnist, or pass --data DIR / set MNIST_DIR)";
    return false;
  }
  if (!read_file(path, bytes, error)) return false;
  const fixnet::Status s = fixnet::parse_idx(bytes.data(), bytes.size(), &array);
  if (!s.ok()) {
    error = path + ": " + s.message;
    return false;
  }
  return true;
}

bool pair(const std::string& what, const fixnet::IdxArray& images, const fixnet::IdxArray& labels,
          fixnet::Dataset& out, std::string& error) {
  const fixnet::Status s = fixnet::make_dataset(images, labels, fixnet::mnist::kClasses, &out);
  if (!s.ok()) {
    error = "MNIST " + what + " set: " + s.message;
    return false;
  }
  if (out.rows != fixnet::mnist::kSide || out.cols != fixnet::mnist::kSide) {
    error = "MNIST " + what + " set: images are not 28x28";
    return false;
  }
  return true;
}

}  // namespace

bool load_mnist(const std::string& directory, MnistData& data, std::string& error) {
  data.directory = directory;
  fixnet::IdxArray train_images, train_labels, test_images, test_labels;
  if (!load_idx(directory, "train-images-idx3-ubyte", data.train_images_bytes, train_images, error) ||
      !load_idx(directory, "train-labels-idx1-ubyte", data.train_labels_bytes, train_labels, error) ||
      !load_idx(directory, "t10k-images-idx3-ubyte", data.test_images_bytes, test_images, error) ||
      !load_idx(directory, "t10k-labels-idx1-ubyte", data.test_labels_bytes, test_labels, error))
    return false;
  if (!pair("training", train_images, train_labels, data.train, error) ||
      !pair("test", test_images, test_labels, data.test, error))
    return false;
  data.subset = file_exists(directory + "/SUBSET");
  return true;
}

}  // namespace fixnet_host
