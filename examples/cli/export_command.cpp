// fixnet-mnist export: a model file as one C++ header for firmware: the
// constexpr spec and plan options, and every parameter as a const array
// (which a microcontroller keeps in flash), for a model with external
// parameters and a static arena.
#include <cctype>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "fixnet/model_file.h"
#include "host_files.h"
#include "model_loader.h"

namespace fixnet_cli {

namespace {

bool is_identifier(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

// Appends printf-formatted text (up to a line of 511 bytes).
void append(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void append(std::string& out, const char* format, ...) {
  char line[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  out += line;
}

// A float exactly, as a hexadecimal literal.
std::string float_literal(float v) {
  char text[64];
  std::snprintf(text, sizeof text, "%af", double(v));
  return text;
}

const char* padding_name(fixnet::Padding p) {
  return p == fixnet::Padding::same ? "fixnet::Padding::same" : "fixnet::Padding::valid";
}

// The spec as a constexpr expression (initializers are not recorded).
std::string spec_expression(const fixnet::ModelSpec& spec) {
  std::string out;
  append(out, "fixnet::ModelSpec{fixnet::Dims{%d, %d, %d}, {\n", spec.input.height, spec.input.width,
         spec.input.channels);
  for (int i = 0; i < spec.layer_count; ++i) {
    const fixnet::LayerSpec& l = spec.layers[i];
    out += "    ";
    switch (l.kind) {
      case fixnet::LayerKind::dense: append(out, "fixnet::dense(%d)", l.units); break;
      case fixnet::LayerKind::conv2d:
        // conv2d() takes one stride; both are equal in every spec it builds.
        append(out, "fixnet::conv2d(%d, %d, %d, %d, %s)", l.units, l.window_h, l.window_w, l.stride_h,
               padding_name(l.padding));
        break;
      case fixnet::LayerKind::max_pool:
        append(out, "fixnet::max_pool(%d, %d, %s)", l.window_h, l.stride_h, padding_name(l.padding));
        break;
      case fixnet::LayerKind::avg_pool:
        append(out, "fixnet::avg_pool(%d, %d, %s)", l.window_h, l.stride_h, padding_name(l.padding));
        break;
      case fixnet::LayerKind::global_avg_pool: out += "fixnet::global_avg_pool()"; break;
      case fixnet::LayerKind::relu: out += "fixnet::relu()"; break;
      case fixnet::LayerKind::sigmoid: out += "fixnet::sigmoid()"; break;
      case fixnet::LayerKind::tanh: out += "fixnet::tanh()"; break;
      case fixnet::LayerKind::dropout: append(out, "fixnet::dropout(%s)", float_literal(l.keep_prob).c_str()); break;
      case fixnet::LayerKind::flatten: out += "fixnet::flatten()"; break;
    }
    out += i + 1 < spec.layer_count ? ",\n" : "}}";
  }
  return out;
}

// `count` values as the body of a C array, 16 (or 8) to a line.
template <class T, class Format>
void append_values(std::string& out, const T* values, std::size_t count, int per_line, Format format) {
  for (std::size_t i = 0; i < count; ++i) {
    out += i % std::size_t(per_line) == 0 ? "\n    " : " ";
    out += format(values[i]);
    out += ',';
  }
  out += "\n";
}

std::string int_text(std::int64_t v) { return std::to_string(v); }

bool stride_square(const fixnet::ModelSpec& spec) {
  for (int i = 0; i < spec.layer_count; ++i)
    if (spec.layers[i].stride_h != spec.layers[i].stride_w ||
        ((spec.layers[i].kind == fixnet::LayerKind::max_pool || spec.layers[i].kind == fixnet::LayerKind::avg_pool) &&
         spec.layers[i].window_h != spec.layers[i].window_w))
      return false;
  return true;
}

std::string header_start(const std::string& name, const std::string& source, const fixnet::ModelSpec& spec,
                         const char* precision) {
  std::string out;
  append(out,
         "// %s: a fixnet %s model, exported by `fixnet-mnist export` from %s.\n"
         "// Its parameters are const arrays (in flash on a microcontroller); the model\n"
         "// runs them in place, with a static arena:\n"
         "//   alignas(fixnet::kArenaAlignment) static std::byte arena[%s::kPlan.bytes];\n",
         name.c_str(), precision, source.c_str(), name.c_str());
  const char* n = name.c_str();
  if (std::strcmp(precision, "int8") == 0) {
    append(out, "//   fixnet::Int8Model model;\n//   model.init(%s::kSpec, %s::kOptions, arena, sizeof arena, &%s::kParameters);\n",
           n, n, n);
  } else {
    append(out, "//   fixnet::Model model;\n//   model.init(%s::kSpec, %s::kOptions, arena, sizeof arena, %s::kParameters);\n",
           n, n, n);
  }
  append(out,
         "// kOptions plans one example on one worker; plan others from kSpec.\n"
         "#pragma once\n\n#include <cstddef>\n#include <cstdint>\n\n#include \"fixnet/%s.h\"\n\nnamespace %s {\n\n",
         std::strcmp(precision, "int8") == 0 ? "int8_model" : "model", name.c_str());
  out += "constexpr fixnet::ModelSpec kSpec = " + spec_expression(spec) + ";\n";
  return out;
}

std::string int8_header(const std::string& name, const std::string& source, const fixnet::Int8Model& model) {
  const fixnet::ModelSpec& spec = model.spec();
  const fixnet::Int8Parameters& p = model.parameters();
  std::string out = header_start(name, source, spec, "int8");
  out +=
      "constexpr fixnet::PlanOptions kOptions{1, fixnet::OptimizerKind::none, 1, true, fixnet::Precision::int8};\n"
      "constexpr fixnet::Plan kPlan = fixnet::plan(kSpec, kOptions);\n\n";
  fixnet::Dims d = spec.input;
  std::size_t parameter_bytes = 0;
  for (int i = 0; i < spec.layer_count; ++i) {
    const std::size_t units = fixnet::layer_bias_count(spec.layers[i]);
    const std::size_t weights = fixnet::layer_weight_count(spec.layers[i], d);
    d = fixnet::layer_output_dims(spec.layers[i], d);
    if (units == 0) continue;
    parameter_bytes += weights + 16 * units;
    const fixnet::Int8LayerParameters& l = p.layers[i];
    append(out, "// Layer %d: weights [%zu, %zu]%s.\n", i, units, weights / units,
           spec.layers[i].kind == fixnet::LayerKind::conv2d ? " (OHWI)" : "");
    append(out, "alignas(16) inline constexpr std::int8_t layer%d_weights[%zu] = {", i, weights);
    append_values(out, l.weights, weights, 16, [](std::int8_t v) { return int_text(v); });
    out += "};\n";
    const std::int32_t* arrays[3] = {l.bias, l.multiplier, l.shift};
    const char* names[3] = {"bias", "multiplier", "shift"};
    for (int a = 0; a < 3; ++a) {
      append(out, "inline constexpr std::int32_t layer%d_%s[%zu] = {", i, names[a], units);
      append_values(out, arrays[a], units, 8, [](std::int32_t v) { return int_text(v); });
      out += "};\n";
    }
    append(out, "inline constexpr float layer%d_weight_scale[%zu] = {", i, units);
    append_values(out, l.weight_scale, units, 4, float_literal);
    out += "};\n\n";
  }
  out += "// Each tensor's scale and zero point ([0] the input, [i + 1] layer i's output),\n"
         "// and each layer's parameters.\n"
         "inline constexpr fixnet::Int8Parameters kParameters = {\n    {";
  for (int t = 0; t <= spec.layer_count; ++t)
    append(out, "{%s, %" PRId32 "}%s", float_literal(p.activations[t].scale).c_str(), p.activations[t].zero_point,
           t < spec.layer_count ? ", " : "},\n    {");
  for (int i = 0; i < spec.layer_count; ++i) {
    if (p.layers[i].weights == nullptr) {
      out += "{}";
    } else {
      append(out, "{layer%d_weights, layer%d_bias, layer%d_multiplier, layer%d_shift, layer%d_weight_scale}", i, i, i,
             i, i);
    }
    out += i + 1 < spec.layer_count ? ",\n     " : "}};\n";
  }
  append(out, "// Bytes of the arrays above.\ninline constexpr std::size_t kParameterBytes = %zu;\n", parameter_bytes);
  append(out, "\n}  // namespace %s\n", name.c_str());
  return out;
}

std::string float_header(const std::string& name, const std::string& source, const fixnet::Model& model) {
  std::string out = header_start(name, source, model.spec(), "float");
  out +=
      "constexpr fixnet::PlanOptions kOptions{1, fixnet::OptimizerKind::none, 1, true};\n"
      "constexpr fixnet::Plan kPlan = fixnet::plan(kSpec, kOptions);\n\n"
      "// Every weight and bias, layer by layer (weights before bias).\n";
  append(out, "alignas(16) inline constexpr float kParameters[%zu] = {", model.parameter_count());
  append_values(out, model.parameters(), model.parameter_count(), 4, float_literal);
  append(out, "};\ninline constexpr std::size_t kParameterBytes = sizeof kParameters;\n\n}  // namespace %s\n",
         name.c_str());
  return out;
}

}  // namespace

int export_command(const Args& args) {
  if (!args.has("model-file")) return usage_error("export needs --model-file FILE");
  if (args.text("format", "") != "c") return usage_error("export needs --format c (a C++ header)");
  const std::string name = args.text("name", "");
  if (!is_identifier(name)) return usage_error("--name must be a C identifier (letters, digits, _)");
  if (!args.positional.empty()) return usage_error("export takes no positional arguments");
  const std::string path = args.text("model-file", "");
  std::string error;
  fixnet_host::LoadedModel loaded;
  if (!fixnet_host::load_model(path, 1, 1, loaded, error)) {
    report_error(error);
    return kExitFailure;
  }
  if (!stride_square(loaded.spec())) {
    report_error(path + ": a layer has unequal strides or windows, which the exported spec cannot state");
    return kExitFailure;
  }
  const std::string header = loaded.precision == fixnet::Precision::int8
                                 ? int8_header(name, path, loaded.int8)
                                 : float_header(name, path, loaded.model);
  const std::string out_path = args.text("out", "");
  if (out_path.empty()) {
    std::fwrite(header.data(), 1, header.size(), stdout);
    return kExitOk;
  }
  if (!fixnet_host::write_file_atomic(out_path, reinterpret_cast<const std::uint8_t*>(header.data()), header.size(),
                                      error)) {
    report_error(error);
    return kExitFailure;
  }
  std::printf("fixnet: %s written (%zu bytes)\n", out_path.c_str(), header.size());
  return kExitOk;
}

}  // namespace fixnet_cli
