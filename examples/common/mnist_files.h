// fixnet host support: the four MNIST files of a directory, parsed and checked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fixnet/idx.h"

namespace fixnet_host {

struct MnistData {
  std::string directory;
  std::vector<std::uint8_t> train_images_bytes, train_labels_bytes, test_images_bytes, test_labels_bytes;
  fixnet::Dataset train, test;
  bool subset = false;  // the directory holds the smaller offline set (a SUBSET marker file)
};

// The directory to read: `requested` if not empty, else $MNIST_DIR, else data/mnist.
std::string mnist_directory(const std::string& requested);

// Loads train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte (each raw or with .gz) from `directory`.
bool load_mnist(const std::string& directory, MnistData& data, std::string& error);

}  // namespace fixnet_host
