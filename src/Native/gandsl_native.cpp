// libgandsl_native: a C ABI over libtorch for GanDsl.Runtime (namespace GanDsl.Torch).
//
// Conventions (the managed side, src/Runtime/Torch/Native.cs, mirrors them):
// - Tensors cross the ABI as heap-allocated at::Tensor* ("handles"), owned by the caller
//   and freed with gd_free. Generators likewise as at::Generator*, freed with gd_generator_free.
// - Every export catches everything. A function returning a handle returns nullptr on
//   failure; a function returning int returns 0 on success and -1 on failure. The failure
//   message lives in a thread-local string read by gd_last_error (the managed side copies it
//   at once, on the same thread, and prefixes the operation name).
// - Only blittable arguments (pointers, integers, doubles): no string marshalling on the
//   hot path, so a call costs little more than the libtorch dispatch itself.
// - Enumerations: dtype codes are c10::ScalarType values, device types c10::DeviceType
//   values, reductions at::Reduction values; unary/binary op codes are the enums below.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <torch/cuda.h>

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#define GD_API extern "C" __attribute__((visibility("default")))

namespace {

thread_local std::string g_last_error;

// libtorch messages may carry a C++ backtrace after a line "Exception raised from ...";
// keep only the human-readable part.
void set_error(const char* message) {
  std::string text = message ? message : "unknown error";
  auto cut = text.find("Exception raised from");
  if (cut != std::string::npos) text.erase(cut);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  g_last_error = text.empty() ? std::string("unknown error") : text;
}

#define GD_TRY try {
#define GD_CATCH(failure)                                   \
  }                                                         \
  catch (const c10::Error& e) {                             \
    set_error(e.what_without_backtrace());                  \
    return failure;                                         \
  }                                                         \
  catch (const std::exception& e) {                         \
    set_error(e.what());                                    \
    return failure;                                         \
  }                                                         \
  catch (...) {                                             \
    set_error("unknown C++ exception");                     \
    return failure;                                         \
  }

using T = at::Tensor;

inline T* wrap(T&& t) { return new T(std::move(t)); }

// Factories build the tensor first and then mark it, as a leaf, as requiring grad.
inline T* wrap_leaf(T&& t, int requires_grad) {
  if (requires_grad) t.set_requires_grad(true);
  return wrap(std::move(t));
}

// Optional tensor argument: nullptr means "absent".
inline c10::optional<T> opt(const T* t) {
  return t ? c10::optional<T>(*t) : c10::nullopt;
}
inline T or_undefined(const T* t) { return t ? *t : T(); }

inline at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions()
      .dtype(static_cast<c10::ScalarType>(dtype))
      .device(c10::Device(static_cast<c10::DeviceType>(device_type),
                          static_cast<c10::DeviceIndex>(device_index)));
}

inline at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

std::vector<T> gather(T* const* list, int n) {
  std::vector<T> v;
  v.reserve(n);
  for (int i = 0; i < n; ++i) v.push_back(list[i] ? *list[i] : T());
  return v;
}

enum UnaryOp {
  U_NEG = 0, U_EXP, U_LOG, U_SQRT, U_ABS, U_SQUARE, U_SIGMOID, U_LOGSIGMOID, U_SOFTPLUS,
  U_RELU, U_TANH, U_T, U_DETACH, U_CLONE, U_CONTIGUOUS, U_PER_SAMPLE_NORM, U_SUM, U_MEAN,
  U_MAX, U_MIN, U_STD_UNBIASED, U_STD_BIASED, U_SQUEEZE_ALL
};

enum BinaryOp {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MINIMUM, B_MAXIMUM, B_EQ, B_LT, B_GT, B_MATMUL
};

// Tensor-scalar ops; R_* take the scalar on the left (s - t, s / t).
enum ScalarOp {
  S_ADD = 0, S_SUB, S_MUL, S_DIV, S_POW, S_RSUB, S_RDIV, S_EQ, S_LT, S_GT, S_LEAKY_RELU
};

enum ReduceOp { R_SUM = 0, R_MEAN, R_STD_UNBIASED, R_STD_BIASED };

}  // namespace

// ---------------------------------------------------------------- errors, lifetime

GD_API const char* gd_last_error() { return g_last_error.c_str(); }

GD_API void gd_free(T* t) { delete t; }

// ---------------------------------------------------------------- creation

GD_API T* gd_zeros(const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index, int requires_grad) {
  GD_TRY
  return wrap_leaf(at::zeros(dims(shape, ndim), options(dtype, dev_type, dev_index)), requires_grad);
  GD_CATCH(nullptr)
}

GD_API T* gd_ones(const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index, int requires_grad) {
  GD_TRY
  return wrap_leaf(at::ones(dims(shape, ndim), options(dtype, dev_type, dev_index)), requires_grad);
  GD_CATCH(nullptr)
}

GD_API T* gd_full(const int64_t* shape, int ndim, double value, int dtype, int dev_type, int dev_index, int requires_grad) {
  GD_TRY
  return wrap_leaf(at::full(dims(shape, ndim), value, options(dtype, dev_type, dev_index)), requires_grad);
  GD_CATCH(nullptr)
}

GD_API T* gd_scalar(double value, int dtype, int dev_type, int dev_index) {
  GD_TRY
  return wrap(at::scalar_tensor(value, options(dtype, dev_type, dev_index)));
  GD_CATCH(nullptr)
}

GD_API T* gd_arange(double start, double end, double step, int dtype, int dev_type, int dev_index) {
  GD_TRY
  return wrap(at::arange(start, end, step, options(dtype, dev_type, dev_index)));
  GD_CATCH(nullptr)
}

// Draws from `gen` (own stream) or, when it is null, libtorch's default generator.
// A generator is a CPU generator, so for a CUDA device the numbers are drawn on the CPU
// and copied: the stream is then the same whatever the device.
GD_API T* gd_rand(const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index, at::Generator* gen, int normal) {
  GD_TRY
  auto opts = options(dtype, dev_type, dev_index);
  if (gen == nullptr) {
    return wrap(normal ? at::randn(dims(shape, ndim), opts) : at::rand(dims(shape, ndim), opts));
  }
  auto cpu = opts.device(at::kCPU);
  T drawn = normal ? at::randn(dims(shape, ndim), *gen, cpu) : at::rand(dims(shape, ndim), *gen, cpu);
  return wrap(dev_type == static_cast<int>(c10::DeviceType::CPU) ? std::move(drawn) : drawn.to(opts.device()));
  GD_CATCH(nullptr)
}

// Copies `data` (host memory laid out row-major in `dtype`) into a new tensor on the device.
GD_API T* gd_from_data(const void* data, const int64_t* shape, int ndim, int dtype, int dev_type, int dev_index) {
  GD_TRY
  auto host = at::empty(dims(shape, ndim), options(dtype, static_cast<int>(c10::DeviceType::CPU), -1));
  std::memcpy(host.data_ptr(), data, host.nbytes());
  if (dev_type == static_cast<int>(c10::DeviceType::CPU)) return wrap(std::move(host));
  return wrap(host.to(options(dtype, dev_type, dev_index).device()));
  GD_CATCH(nullptr)
}

// Copies the tensor's values, converted to `dtype`, into `dst` (exactly `nbytes` long).
GD_API int gd_copy_to_host(const T* t, void* dst, int64_t nbytes, int dtype) {
  GD_TRY
  T host = t->detach().to(at::kCPU, static_cast<c10::ScalarType>(dtype)).contiguous();
  if (static_cast<int64_t>(host.nbytes()) != nbytes)
    throw std::runtime_error("destination holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                             std::to_string(host.nbytes()));
  if (nbytes > 0) std::memcpy(dst, host.data_ptr(), static_cast<size_t>(nbytes));
  return 0;
  GD_CATCH(-1)
}

// ---------------------------------------------------------------- metadata

GD_API int64_t gd_dim(const T* t) { return t->dim(); }
GD_API int64_t gd_numel(const T* t) { return t->numel(); }
GD_API void gd_sizes(const T* t, int64_t* out) {
  auto s = t->sizes();
  for (size_t i = 0; i < s.size(); ++i) out[i] = s[i];
}
GD_API int gd_dtype(const T* t) { return static_cast<int>(t->scalar_type()); }
GD_API void gd_device(const T* t, int* type, int* index) {
  auto d = t->device();
  *type = static_cast<int>(d.type());
  *index = d.has_index() ? d.index() : -1;
}
GD_API int gd_requires_grad(const T* t) { return t->requires_grad() ? 1 : 0; }
GD_API int gd_is_leaf(const T* t) { return t->is_leaf() ? 1 : 0; }

GD_API int gd_set_requires_grad(T* t, int value) {
  GD_TRY
  t->set_requires_grad(value != 0);
  return 0;
  GD_CATCH(-1)
}

// *out = the accumulated gradient, or nullptr when there is none.
GD_API int gd_grad(const T* t, T** out) {
  GD_TRY
  const T& g = t->grad();
  *out = g.defined() ? new T(g) : nullptr;
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_zero_grad(T* t) {
  GD_TRY
  t->mutable_grad().reset();
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_item(const T* t, double* out) {
  GD_TRY
  *out = t->item<double>();
  return 0;
  GD_CATCH(-1)
}

GD_API T* gd_to(const T* t, int dtype, int dev_type, int dev_index) {
  GD_TRY
  return wrap(t->to(options(dtype, dev_type, dev_index)));
  GD_CATCH(nullptr)
}

// ---------------------------------------------------------------- elementwise and reductions

GD_API T* gd_unary(int op, const T* t) {
  GD_TRY
  const T& x = *t;
  switch (op) {
    case U_NEG: return wrap(x.neg());
    case U_EXP: return wrap(x.exp());
    case U_LOG: return wrap(x.log());
    case U_SQRT: return wrap(x.sqrt());
    case U_ABS: return wrap(x.abs());
    case U_SQUARE: return wrap(x.square());
    case U_SIGMOID: return wrap(x.sigmoid());
    case U_LOGSIGMOID: return wrap(at::log_sigmoid(x));
    case U_SOFTPLUS: return wrap(at::softplus(x));
    case U_RELU: return wrap(x.relu());
    case U_TANH: return wrap(x.tanh());
    case U_T: return wrap(x.t());
    case U_DETACH: return wrap(x.detach());
    case U_CLONE: return wrap(x.clone());
    case U_CONTIGUOUS: return wrap(x.contiguous());
    case U_PER_SAMPLE_NORM: return wrap(at::linalg_vector_norm(x.flatten(1), 2, at::IntArrayRef{1}, false));
    case U_SUM: return wrap(x.sum());
    case U_MEAN: return wrap(x.mean());
    case U_MAX: return wrap(x.max());
    case U_MIN: return wrap(x.min());
    case U_STD_UNBIASED: return wrap(x.std(true));
    case U_STD_BIASED: return wrap(x.std(false));
    case U_SQUEEZE_ALL: return wrap(x.squeeze());
    default: throw std::invalid_argument("unknown unary op code " + std::to_string(op));
  }
  GD_CATCH(nullptr)
}

GD_API T* gd_binary(int op, const T* a, const T* b) {
  GD_TRY
  const T& x = *a;
  const T& y = *b;
  switch (op) {
    case B_ADD: return wrap(x.add(y));
    case B_SUB: return wrap(x.sub(y));
    case B_MUL: return wrap(x.mul(y));
    case B_DIV: return wrap(x.div(y));
    case B_POW: return wrap(x.pow(y));
    case B_MINIMUM: return wrap(at::minimum(x, y));
    case B_MAXIMUM: return wrap(at::maximum(x, y));
    case B_EQ: return wrap(x.eq(y));
    case B_LT: return wrap(x.lt(y));
    case B_GT: return wrap(x.gt(y));
    case B_MATMUL: return wrap(x.matmul(y));
    default: throw std::invalid_argument("unknown binary op code " + std::to_string(op));
  }
  GD_CATCH(nullptr)
}

GD_API T* gd_binary_scalar(int op, const T* a, double s) {
  GD_TRY
  const T& x = *a;
  switch (op) {
    case S_ADD: return wrap(x.add(s));
    case S_SUB: return wrap(x.sub(s));
    case S_MUL: return wrap(x.mul(s));
    case S_DIV: return wrap(x.div(s));
    case S_POW: return wrap(x.pow(s));
    case S_RSUB: return wrap(at::rsub(x, s));
    case S_RDIV: return wrap(x.reciprocal().mul(s));
    case S_EQ: return wrap(x.eq(s));
    case S_LT: return wrap(x.lt(s));
    case S_GT: return wrap(x.gt(s));
    case S_LEAKY_RELU: return wrap(at::leaky_relu(x, s));
    default: throw std::invalid_argument("unknown scalar op code " + std::to_string(op));
  }
  GD_CATCH(nullptr)
}

GD_API T* gd_add_alpha(const T* a, const T* b, double alpha, int subtract) {
  GD_TRY
  return wrap(subtract ? a->sub(*b, alpha) : a->add(*b, alpha));
  GD_CATCH(nullptr)
}

GD_API T* gd_clamp(const T* t, int has_min, double min, int has_max, double max) {
  GD_TRY
  c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
  c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
  return wrap(at::clamp(*t, lo, hi));
  GD_CATCH(nullptr)
}

GD_API T* gd_reduce_dims(int op, const T* t, const int64_t* d, int nd, int keepdim) {
  GD_TRY
  const T& x = *t;
  switch (op) {
    case R_SUM: return wrap(x.sum(dims(d, nd), keepdim != 0));
    case R_MEAN: return wrap(x.mean(dims(d, nd), keepdim != 0));
    case R_STD_UNBIASED: return wrap(x.std(dims(d, nd), true, keepdim != 0));
    case R_STD_BIASED: return wrap(x.std(dims(d, nd), false, keepdim != 0));
    default: throw std::invalid_argument("unknown reduction op code " + std::to_string(op));
  }
  GD_CATCH(nullptr)
}

GD_API int gd_max_min_dim(const T* t, int64_t dim, int keepdim, int is_min, T** values, T** indices) {
  GD_TRY
  auto r = is_min ? t->min(dim, keepdim != 0) : t->max(dim, keepdim != 0);
  *values = wrap(std::move(std::get<0>(r)));
  *indices = wrap(std::move(std::get<1>(r)));
  return 0;
  GD_CATCH(-1)
}

GD_API T* gd_norm(const T* t, double p) {
  GD_TRY
  return wrap(at::linalg_vector_norm(*t, p));
  GD_CATCH(nullptr)
}

GD_API T* gd_vector_norm(const T* t, double p, const int64_t* d, int nd, int keepdim) {
  GD_TRY
  return wrap(at::linalg_vector_norm(*t, p, dims(d, nd), keepdim != 0));
  GD_CATCH(nullptr)
}

// ---------------------------------------------------------------- shape

GD_API T* gd_transpose(const T* t, int64_t d0, int64_t d1) {
  GD_TRY return wrap(t->transpose(d0, d1)); GD_CATCH(nullptr)
}
GD_API T* gd_reshape(const T* t, const int64_t* shape, int nd) {
  GD_TRY return wrap(t->reshape(dims(shape, nd))); GD_CATCH(nullptr)
}
GD_API T* gd_view(const T* t, const int64_t* shape, int nd) {
  GD_TRY return wrap(t->view(dims(shape, nd))); GD_CATCH(nullptr)
}
GD_API T* gd_flatten(const T* t, int64_t start, int64_t end) {
  GD_TRY return wrap(t->flatten(start, end)); GD_CATCH(nullptr)
}
GD_API T* gd_slice(const T* t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  GD_TRY return wrap(t->slice(dim, start, end, step)); GD_CATCH(nullptr)
}
GD_API T* gd_select(const T* t, int64_t dim, int64_t index) {
  GD_TRY return wrap(t->select(dim, index)); GD_CATCH(nullptr)
}
GD_API T* gd_narrow(const T* t, int64_t dim, int64_t start, int64_t length) {
  GD_TRY return wrap(t->narrow(dim, start, length)); GD_CATCH(nullptr)
}
GD_API T* gd_unsqueeze(const T* t, int64_t dim) {
  GD_TRY return wrap(t->unsqueeze(dim)); GD_CATCH(nullptr)
}
GD_API T* gd_squeeze(const T* t, int64_t dim) {
  GD_TRY return wrap(t->squeeze(dim)); GD_CATCH(nullptr)
}
GD_API T* gd_cat(T* const* list, int n, int64_t dim, int stack) {
  GD_TRY
  auto v = gather(list, n);
  return wrap(stack ? at::stack(v, dim) : at::cat(v, dim));
  GD_CATCH(nullptr)
}
GD_API T* gd_where(const T* cond, const T* a, const T* b) {
  GD_TRY return wrap(at::where(*cond, *a, *b)); GD_CATCH(nullptr)
}

// ---------------------------------------------------------------- autograd

GD_API int gd_backward(const T* t, const T* gradient, int retain_graph, int create_graph) {
  GD_TRY
  t->backward(or_undefined(gradient), retain_graph != 0, create_graph != 0);
  return 0;
  GD_CATCH(-1)
}

// result[i] = d(sum_j <outputs[j], grad_outputs[j]>)/d inputs[i], nullptr when unused (allow_unused).
// grad_outputs may be null (all ones, i.e. scalar outputs) or hold null entries.
GD_API int gd_autograd_grad(T* const* outputs, int n_out, T* const* inputs, int n_in, T* const* grad_outputs,
                            int create_graph, int retain_graph, int allow_unused, T** result) {
  GD_TRY
  auto outs = gather(outputs, n_out);
  auto ins = gather(inputs, n_in);
  std::vector<T> gouts;
  if (grad_outputs) gouts = gather(grad_outputs, n_out);
  auto grads = torch::autograd::grad(outs, ins, gouts, retain_graph != 0, create_graph != 0, allow_unused != 0);
  for (int i = 0; i < n_in; ++i) result[i] = grads[i].defined() ? new T(std::move(grads[i])) : nullptr;
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_is_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }
GD_API void gd_set_grad_enabled(int enabled) { at::GradMode::set_enabled(enabled != 0); }

// ---------------------------------------------------------------- in place (act on *self)

GD_API int gd_add_(T* self, const T* other, double alpha) {
  GD_TRY self->add_(*other, alpha); return 0; GD_CATCH(-1)
}
GD_API int gd_sub_(T* self, const T* other, double alpha) {
  GD_TRY self->sub_(*other, alpha); return 0; GD_CATCH(-1)
}
GD_API int gd_mul_scalar_(T* self, double s) {
  GD_TRY self->mul_(s); return 0; GD_CATCH(-1)
}
GD_API int gd_clamp_(T* self, int has_min, double min, int has_max, double max) {
  GD_TRY
  c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
  c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
  self->clamp_(lo, hi);
  return 0;
  GD_CATCH(-1)
}
GD_API int gd_zero_(T* self) {
  GD_TRY self->zero_(); return 0; GD_CATCH(-1)
}
GD_API int gd_fill_(T* self, double value) {
  GD_TRY self->fill_(value); return 0; GD_CATCH(-1)
}
GD_API int gd_copy_(T* self, const T* src) {
  GD_TRY self->copy_(*src); return 0; GD_CATCH(-1)
}

// ---------------------------------------------------------------- composite kernels

GD_API T* gd_bce_with_logits(const T* logits, const T* target, int reduction) {
  GD_TRY
  return wrap(at::binary_cross_entropy_with_logits(*logits, *target, c10::nullopt, c10::nullopt, reduction));
  GD_CATCH(nullptr)
}

GD_API T* gd_mse_loss(const T* a, const T* b, int reduction) {
  GD_TRY return wrap(at::mse_loss(*a, *b, reduction)); GD_CATCH(nullptr)
}

// ||a_i - b_j||^2 for a [N,D], b [M,D], via ||a||^2 + ||b||^2 - 2 a b^T (one matmul, as
// torch.cdist does for large inputs), clamped at 0 against rounding below zero.
GD_API T* gd_pairwise_sqdist(const T* a, const T* b) {
  GD_TRY
  const T& x = *a;
  const T& y = *b;
  TORCH_CHECK(x.dim() == 2 && y.dim() == 2, "expected two 2-d tensors [N,D] and [M,D], got ", x.sizes(), " and ",
              y.sizes());
  TORCH_CHECK(x.size(1) == y.size(1), "feature sizes differ: ", x.sizes(), " and ", y.sizes());
  T xx = x.square().sum(1, true);                 // [N,1]
  T yy = y.square().sum(1, true).t();             // [1,M]
  return wrap(at::addmm(xx + yy, x, y.t(), 1, -2).clamp_min(0));
  GD_CATCH(nullptr)
}

// ---------------------------------------------------------------- functional layers

GD_API T* gd_linear(const T* x, const T* w, const T* b) {
  GD_TRY return wrap(at::linear(*x, *w, opt(b))); GD_CATCH(nullptr)
}

GD_API T* gd_conv2d(const T* x, const T* w, const T* b, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  GD_TRY
  return wrap(at::conv2d(*x, *w, opt(b), {sh, sw}, {ph, pw}));
  GD_CATCH(nullptr)
}

GD_API T* gd_conv_transpose2d(const T* x, const T* w, const T* b, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                              int64_t oph, int64_t opw) {
  GD_TRY
  return wrap(at::conv_transpose2d(*x, *w, opt(b), {sh, sw}, {ph, pw}, {oph, opw}));
  GD_CATCH(nullptr)
}

GD_API T* gd_batch_norm(const T* x, const T* running_mean, const T* running_var, const T* w, const T* b, int training,
                        double momentum, double eps) {
  GD_TRY
  return wrap(at::batch_norm(*x, opt(w), opt(b), opt(running_mean), opt(running_var), training != 0, momentum, eps,
                             at::globalContext().userEnabledCuDNN()));
  GD_CATCH(nullptr)
}

GD_API T* gd_layer_norm(const T* x, const int64_t* shape, int nd, const T* w, const T* b, double eps) {
  GD_TRY
  return wrap(at::layer_norm(*x, dims(shape, nd), opt(w), opt(b), eps));
  GD_CATCH(nullptr)
}

// ---------------------------------------------------------------- random generators

GD_API at::Generator* gd_generator_new(uint64_t seed) {
  GD_TRY return new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed)); GD_CATCH(nullptr)
}

GD_API void gd_generator_free(at::Generator* g) { delete g; }

// Writes the state bytes into buf when capacity suffices; *length gets the state's size.
GD_API int gd_generator_get_state(at::Generator* g, uint8_t* buf, int64_t capacity, int64_t* length) {
  GD_TRY
  std::lock_guard<std::mutex> lock(g->mutex());
  T state = g->get_state();
  *length = static_cast<int64_t>(state.nbytes());
  if (buf && capacity >= *length) std::memcpy(buf, state.data_ptr(), state.nbytes());
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_generator_set_state(at::Generator* g, const uint8_t* buf, int64_t length) {
  GD_TRY
  T state = at::empty({length}, at::TensorOptions().dtype(at::kByte));
  std::memcpy(state.data_ptr(), buf, static_cast<size_t>(length));
  std::lock_guard<std::mutex> lock(g->mutex());
  g->set_state(state);
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_manual_seed(uint64_t seed) {
  GD_TRY at::manual_seed(seed); return 0; GD_CATCH(-1)
}

// ---------------------------------------------------------------- threads, devices

GD_API int gd_set_num_threads(int n) {
  GD_TRY
  at::set_num_threads(n);
  // Inter-op threads only serve async work (which we do not use); the count can be set
  // once per process, before first use, so set it on the first call and ignore later ones.
  static std::once_flag once;
  std::call_once(once, [n] {
    try {
      at::set_num_interop_threads(n);
    } catch (...) {
    }
  });
  return 0;
  GD_CATCH(-1)
}

GD_API int gd_get_num_threads() { return at::get_num_threads(); }
GD_API int gd_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }
GD_API int gd_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

// ---------------------------------------------------------------- benchmark support

// Runs `iterations` additions of a and b entirely in C++ (result freed each time, as the
// managed benchmark does): the libtorch floor against which the binding's per-call
// overhead is measured (benchmarks/GanDsl.Benchmarks).
GD_API int gd_bench_add_loop(const T* a, const T* b, int64_t iterations) {
  GD_TRY
  for (int64_t i = 0; i < iterations; ++i) {
    T* c = wrap(a->add(*b));
    delete c;
  }
  return 0;
  GD_CATCH(-1)
}
