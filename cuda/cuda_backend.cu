// The CUDA backend (issue 4, docs/cuda.md): CpuBackend's physics on one GPU.
//
// Per thermal event the host sees a few scalars only: the pass summary (24 bytes), the
// selection (32 bytes), nothing for the transformation itself (its SFTS came with the
// selection). Everything else stays on the device between download()/upload().
#include "cuda/cuda_backend.cuh"

#include <cuda_runtime.h>
#include <cufft.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cuda/bounded_kernels.cuh"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "cuda/device_state.cuh"
#include "cuda/entry.hpp"
#include "cuda/kernels.cuh"
#include "cuda/memory_plan.cuh"
#include "cuda/state_buffers.cuh"
#include "stz/params.hpp"
#include "stz/physics/bounds.hpp"
#include "stz/physics/medium.hpp"

#ifndef STZ_CUDA_ARCHITECTURES
#define STZ_CUDA_ARCHITECTURES "unknown"
#endif

namespace stz {

namespace {

constexpr double gib = 1024.0 * 1024.0 * 1024.0;
/// Kept free beyond the counted arrays: allocation granularity, cuFFT plan data, the runtime.
constexpr std::size_t memory_reserve_bytes = std::size_t{256} << 20;

/// Small results copied back per operation, in one page-locked block.
struct Mailbox {
  cuda::PassResult pass;
  cuda::Selection selection;
  double sums[2];
  double ab[2];
  std::uint32_t count;
  cuda::BoundResult bound;
};

/// The resolved-stress combinations of a mean stress, as the CPU backend forms them.
struct Resolved {
  double s1, s3;
};
Resolved resolved(const Sym2& s) { return {s.xx - s.yy, 2.0 * s.xy}; }

/// Owns an instantiated CUDA graph.
struct GraphHandle {
  cudaGraphExec_t exec = nullptr;
  GraphHandle() = default;
  GraphHandle(const GraphHandle&) = delete;
  GraphHandle& operator=(const GraphHandle&) = delete;
  ~GraphHandle() {
    if (exec) cudaGraphExecDestroy(exec);
  }
};

/// Owns a stream (destroyed last among the CUDA resources of the backend).
struct StreamHandle {
  cudaStream_t stream = nullptr;
  StreamHandle() = default;
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;
  ~StreamHandle() {
    if (stream) cudaStreamDestroy(stream);
  }
};

/// Owns a cuFFT plan, also when the backend's constructor throws after creating it.
struct PlanHandle {
  cufftHandle plan = 0;
  bool valid = false;
  PlanHandle() = default;
  PlanHandle(const PlanHandle&) = delete;
  PlanHandle& operator=(const PlanHandle&) = delete;
  ~PlanHandle() {
    if (valid) cufftDestroy(plan);
  }
};

/// Device time per operation (BackendOptions::profile_device, `stzkmc bench --profile`): a pair
/// of CUDA events around each timed launch, resolved in batches (waiting on the oldest events
/// only once many are pending), so profiling adds no stream synchronisation of its own.
class DeviceTimer {
 public:
  bool enabled = false;
  DeviceTimer() = default;
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;
  ~DeviceTimer() {
    for (const Pending& p : pending_) cudaEventDestroy(p.start), cudaEventDestroy(p.stop);
    for (cudaEvent_t e : spare_) cudaEventDestroy(e);
  }

  /// Runs `launch` (which enqueues work on `stream`) between two events when enabled.
  template <class F>
  void time(const char* name, cudaStream_t stream, F&& launch) {
    if (!enabled) {
      launch();
      return;
    }
    if (pending_.size() >= max_pending) resolve();
    Pending p{slot(name), event(), event()};
    STZ_CUDA_TRY(cudaEventRecord(p.start, stream));
    launch();
    STZ_CUDA_TRY(cudaEventRecord(p.stop, stream));
    pending_.push_back(p);
  }

  /// Device time per operation since the last report, then reset.
  std::vector<DeviceOpTime> report() {
    std::vector<DeviceOpTime> out;
    if (!enabled) return out;
    resolve();
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (calls_[i] > 0) out.push_back({names_[i], calls_[i], 1e-3 * total_ms_[i]});
      calls_[i] = 0;
      total_ms_[i] = 0.0;
    }
    return out;
  }

 private:
  struct Pending {
    std::size_t slot;
    cudaEvent_t start, stop;
  };
  static constexpr std::size_t max_pending = 4096;
  std::vector<std::string> names_;
  std::vector<unsigned long long> calls_;
  std::vector<double> total_ms_;
  std::vector<Pending> pending_;
  std::vector<cudaEvent_t> spare_;

  std::size_t slot(const char* name) {
    for (std::size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return i;
    names_.emplace_back(name);
    calls_.push_back(0);
    total_ms_.push_back(0.0);
    return names_.size() - 1;
  }
  cudaEvent_t event() {
    if (!spare_.empty()) {
      cudaEvent_t e = spare_.back();
      spare_.pop_back();
      return e;
    }
    cudaEvent_t e = nullptr;
    STZ_CUDA_TRY(cudaEventCreate(&e));
    return e;
  }
  void resolve() {
    for (const Pending& p : pending_) {
      STZ_CUDA_TRY(cudaEventSynchronize(p.stop));
      float ms = 0.0f;
      STZ_CUDA_TRY(cudaEventElapsedTime(&ms, p.start, p.stop));
      ++calls_[p.slot];
      total_ms_[p.slot] += ms;
      spare_.push_back(p.start);
      spare_.push_back(p.stop);
    }
    pending_.clear();
  }
};

template <class T>
void copy_to_host(std::vector<T>& dst, const T* src, std::size_t count, cudaStream_t stream) {
  dst.resize(count);
  if (count) STZ_CUDA_TRY(cudaMemcpyAsync(dst.data(), src, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
}

std::string format_gib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(bytes) / gib);
  return buf;
}

}  // namespace

struct CudaBackend::Impl {
  Params params;
  PhysicsConstants pc;
  ElasticMedium medium;
  int device = 0;
  cudaDeviceProp props{};
  cuda::MemoryPlan plan;
  std::size_t fft_work_bytes = 0;
  std::size_t cub_temp_bytes = 0;
  std::size_t l2_window_bytes = 0;  ///< solver.gpu_l2_window: bytes of A in the persisting window

  // Declared before the buffers, so destroyed after them (members die in reverse order).
  StreamHandle stream_handle;
  cudaStream_t stream = nullptr;  // = stream_handle.stream
  PlanHandle forward_handle;      // batched D2Z of [p1 | p3]
  PlanHandle backward_handle;     // batched Z2D into [s11 | s22 | s12]
  cufftHandle forward = 0;
  cufftHandle backward = 0;
  DeviceTimer timer;  // BackendOptions::profile_device

  // The State's fields (catalog, eigenstrain [p1 | p3], stress [s11 | s22 | s12], ...), allocated
  // from the field registry, and the device pointers of the two arrays the FFTs work on.
  cuda::StateBuffers state;
  double* eigenstrain = nullptr;  // [p1 | p3]
  double* stress = nullptr;       // [s11 | s22 | s12]
  // Pass scratch: voxel-mode arrays, then per voxel.
  cuda::DeviceBuffer<double> softened, q;  // double precision
  cuda::DeviceBuffer<float> softened_f;    // solver.precision = "mixed": A in float, no Q
  bool mixed = false;
  cuda::DeviceBuffer<double> cached_eta, voxel_min, voxel_rate;
  cuda::DeviceBuffer<std::uint32_t> voxel_argmin;
  cuda::DeviceBuffer<double> kernels;  // [K1_11 | K1_22 | K1_12 | K3_11 | K3_22 | K3_12]
  cuda::DeviceBuffer<std::uint32_t> flip_list;
  cuda::DeviceBuffer<double> da, db;
  cuda::DeviceBuffer<cuda::FlipRecord> records;
  // Rate blocks, FFT and CUB scratch, and the device side of the mailbox.
  cuda::DeviceBuffer<double> block_rate, block_incl;
  cuda::DeviceBuffer<cufftDoubleComplex> spectra;  // P1, P3, sigma11, sigma22, sigma12
  cuda::DeviceBuffer<unsigned char> fft_work, cub_temp;
  cuda::DeviceBuffer<cuda::PassResult> d_pass;
  cuda::DeviceBuffer<cuda::Selection> d_selection;
  cuda::DeviceBuffer<double> d_sums;
  cuda::DeviceBuffer<std::uint32_t> d_count;
  // Rule "bounded": the stale flags, the block sums and prefix sums, the watch counts, the
  // operation result (the bound_* fields themselves are in `state`).
  bool bounded = false;
  cuda::DeviceBuffer<std::uint8_t> bound_stale;
  cuda::DeviceBuffer<double> bound_block_sum, bound_block_incl;
  cuda::DeviceBuffer<std::uint32_t> bound_block_watch;
  cuda::DeviceBuffer<cuda::BoundResult> d_bound;
  cuda::BoundView bview{};
  cuda::BoundParams bparams{};
  double bound_total = 0.0;
  cuda::PinnedBuffer<Mailbox> mail;
  cuda::StagedCopier copier;  // download/upload through page-locked chunks
  // The device loop: control block and event records (both ends), and its graph: one pass as
  // the body of a conditional WHILE node, or (where that cannot be built) K passes in a row,
  // one graph per stretch length K asked for.
  cuda::DeviceBuffer<cuda::LoopBlock> d_loop;
  cuda::DeviceBuffer<LoopEvent> d_loop_events;
  cuda::PinnedBuffer<cuda::LoopBlock> loop_mail;
  cuda::PinnedBuffer<LoopEvent> loop_events_mail;
  std::unique_ptr<GraphHandle> while_graph;
  bool while_graph_failed = false;
  std::string while_graph_error;
  std::map<std::uint32_t, std::unique_ptr<GraphHandle>> loop_graphs;

  cuda::DeviceView view{};
  cuda::KernelView kview{};

  RateSummary last{};
  bool rates_valid = false;
  /// The last selection is still current (no state change since): transform() of that event
  /// takes its SFTS from it instead of copying them back.
  bool selection_valid = false;

  Impl(const Params& params_in, const BackendOptions& options);
  ~Impl();

  void activate() const { STZ_CUDA_TRY(cudaSetDevice(device)); }
  void synchronize() const { STZ_CUDA_TRY(cudaStreamSynchronize(stream)); }
  void create_plans();
  void check_memory() const;
  void allocate();
  void solve(const double* eigenstrain, double* out);
  void set_l2_window();
  void compute_unit_kernels();
  std::size_t voxels() const { return plan.voxels; }
  void require_bounded(const char* what) const {
    if (!bounded)
      throw std::logic_error(std::string(what) + " needs a CUDA backend made for kinetics.rule = \"bounded\"");
  }
  /// Copies the bounded rule's result back (one synchronisation).
  const cuda::BoundResult& fetch_bound() {
    STZ_CUDA_TRY(cudaMemcpyAsync(&mail.data()->bound, d_bound.data(), sizeof(cuda::BoundResult), cudaMemcpyDeviceToHost,
                                 stream));
    synchronize();
    return mail.data()->bound;
  }
  /// Every block sum, the prefix sums and the total, brought back into bound_total.
  void sum_all_bounds() {
    cuda::launch_bound_sums(view, bview, 0, plan.rate_blocks, d_bound.data(), stream);
    bound_total = fetch_bound().bound_sum;
  }
  /// Enqueues `passes` passes of the device loop on the stream (`while_handle`: each pass's
  /// last kernel sets it).
  void enqueue_loop_passes(std::uint32_t passes, const cudaGraphConditionalHandle* while_handle = nullptr);
  /// The WHILE graph (built at first use; null where the driver cannot build one).
  cudaGraphExec_t loop_while_graph();
  /// The instantiated graph of `passes` passes in a row (captured at first use).
  cudaGraphExec_t loop_graph(std::uint32_t passes);
};

CudaBackend::Impl::Impl(const Params& params_in, const BackendOptions& options)
    : params(params_in), pc(derive_constants(params_in)), medium(make_medium(params_in.elastic)) {
  validate(params);
  const int count = cuda_device_count();
  if (count == 0)
    throw std::runtime_error("the CUDA backend has no usable device (no GPU, or no working NVIDIA driver)");
  if (options.device < 0 || options.device >= count)
    throw std::invalid_argument("CUDA device " + std::to_string(options.device) + " does not exist: " +
                                std::to_string(count) + " device(s), ordinals 0.." + std::to_string(count - 1));
  device = options.device;
  timer.enabled = options.profile_device;
  activate();
  STZ_CUDA_TRY(cudaGetDeviceProperties(&props, device));
  if (const cudaError_t err = cuda::probe_kernel_image(); err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string("GPU ") + props.name + " (compute capability " + std::to_string(props.major) +
                             "." + std::to_string(props.minor) +
                             ") cannot run this build's kernels (built for CMAKE_CUDA_ARCHITECTURES " +
                             STZ_CUDA_ARCHITECTURES + "): " + cudaGetErrorString(err));
  }
  bounded = params.kinetics.rule == ThermalRule::bounded;
  mixed = params.solver.precision == Precision::mixed;
  plan = cuda::make_memory_plan(params.grid.n, params.grid.modes, bounded, mixed);
  // First without the FFT work area and CUB scratch, so that a hopeless grid fails with the
  // memory message before cuFFT plans for it; then with them, before anything is allocated.
  check_memory();
  STZ_CUDA_TRY(cudaStreamCreateWithFlags(&stream_handle.stream, cudaStreamNonBlocking));
  stream = stream_handle.stream;
  create_plans();
  cub_temp_bytes = cuda::athermal_select_temp_bytes(plan.voxels);
  check_memory();
  allocate();
  compute_unit_kernels();
  synchronize();
}

CudaBackend::Impl::~Impl() {
  // Destructors must not throw: an error here means the context is already gone. The members
  // then free the buffers, the plans and the stream.
  cudaSetDevice(device);
  if (stream) cudaStreamSynchronize(stream);
}

void CudaBackend::Impl::create_plans() {
  // Row-major (y, x) with x the halved dimension, as FftElasticSolver's FFTW plans.
  const long long n = params.grid.n;
  long long dims[2] = {n, n};
  long long real_embed[2] = {n, n};
  long long complex_embed[2] = {n, n / 2 + 1};
  const long long real_dist = n * n;
  const long long complex_dist = n * (n / 2 + 1);
  std::size_t forward_work = 0, backward_work = 0;
  // Work areas are not allocated by cuFFT: both plans share one (they never run concurrently),
  // and its size enters the memory check before anything large is allocated.
  STZ_CUFFT_TRY(cufftCreate(&forward_handle.plan));
  forward_handle.valid = true;
  forward = forward_handle.plan;
  STZ_CUFFT_TRY(cufftSetAutoAllocation(forward, 0));
  STZ_CUFFT_TRY(cufftMakePlanMany64(forward, 2, dims, real_embed, 1, real_dist, complex_embed, 1, complex_dist,
                                    CUFFT_D2Z, 2, &forward_work));
  STZ_CUFFT_TRY(cufftCreate(&backward_handle.plan));
  backward_handle.valid = true;
  backward = backward_handle.plan;
  STZ_CUFFT_TRY(cufftSetAutoAllocation(backward, 0));
  STZ_CUFFT_TRY(cufftMakePlanMany64(backward, 2, dims, complex_embed, 1, complex_dist, real_embed, 1, real_dist,
                                    CUFFT_Z2D, 3, &backward_work));
  STZ_CUFFT_TRY(cufftSetStream(forward, stream));
  STZ_CUFFT_TRY(cufftSetStream(backward, stream));
  fft_work_bytes = forward_work > backward_work ? forward_work : backward_work;
}

void CudaBackend::Impl::check_memory() const {
  std::size_t free_bytes = 0, total_bytes = 0;
  STZ_CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes));
  const std::size_t needed = plan.total_bytes(fft_work_bytes, cub_temp_bytes);
  if (needed + memory_reserve_bytes > free_bytes) {
    std::ostringstream os;
    os << "grid N=" << params.grid.n << " needs " << format_gib(needed) << " GiB, device has " << format_gib(free_bytes)
       << " GiB free (M=" << params.grid.modes << " modes; " << props.name << ", " << format_gib(total_bytes)
       << " GiB in all; the state and pass scratch " << format_gib(plan.state_and_scratch_bytes())
       << " GiB + FFT spectra and work area; " << format_gib(memory_reserve_bytes)
       << " GiB kept in reserve): use a smaller grid or a larger GPU";
    throw std::runtime_error(os.str());
  }
}

void CudaBackend::Impl::allocate() {
  const std::size_t v = plan.voxels;
  const std::size_t vm = plan.voxel_modes;
  state.allocate(v, params.grid.modes, bounded);
  eigenstrain = state.field<double>("p1");  // p3 follows (group "eigenstrain")
  stress = state.field<double>("s11");      // s22, s12 follow (group "stress")
  if (state.field<double>("p3") != eigenstrain + v || state.field<double>("s22") != stress + v ||
      state.field<double>("s12") != stress + 2 * v)
    throw std::logic_error("the state registry must keep p1 | p3 and s11 | s22 | s12 contiguous");
  if (mixed) {
    softened_f.allocate(vm);
  } else {
    softened.allocate(vm);
    q.allocate(vm);
  }
  cached_eta.allocate(v);
  voxel_min.allocate(v);
  voxel_rate.allocate(v);
  voxel_argmin.allocate(v);
  kernels.allocate(6 * v);
  flip_list.allocate(v);
  da.allocate(v);
  db.allocate(v);
  records.allocate(v);
  block_rate.allocate(plan.rate_blocks);
  block_incl.allocate(plan.rate_blocks);
  spectra.allocate(cuda::MemoryPlan::spectra_per_solve * plan.spectrum);
  fft_work.allocate(fft_work_bytes);
  cub_temp.allocate(cub_temp_bytes > 0 ? cub_temp_bytes : 1);
  d_pass.allocate(1);
  d_selection.allocate(1);
  d_sums.allocate(2);
  d_count.allocate(1);
  d_bound.allocate(1);
  d_loop.allocate(1);
  d_loop_events.allocate(static_cast<std::size_t>(max_gpu_loop_chunk));
  loop_mail = cuda::PinnedBuffer<cuda::LoopBlock>(1);
  loop_events_mail = cuda::PinnedBuffer<LoopEvent>(static_cast<std::size_t>(max_gpu_loop_chunk));
  if (bounded) {
    bound_stale.allocate(v);
    bound_block_sum.allocate(plan.rate_blocks);
    bound_block_incl.allocate(plan.rate_blocks);
    bound_block_watch.allocate(plan.rate_blocks);
    bview.s1 = state.field<double>("bound_s1");
    bview.s3 = state.field<double>("bound_s3");
    bview.margin = state.field<double>("bound_margin");
    bview.rate = state.field<double>("bound_rate");
    bview.low = state.field<double>("bound_low");
    bview.block_sum = bound_block_sum.data();
    bview.block_incl = bound_block_incl.data();
    bview.block_watch = bound_block_watch.data();
  }
  bparams.modes = params.grid.modes;
  bparams.direction = pc.direction_factor;
  bparams.tau = pc.tau;
  bparams.slack = params.kinetics.bound_slack * pc.kT;
  bparams.half_volume_ev = pc.half_volume_ev;
  bparams.shift = bound_shift(pc.kT);
  bparams.inv_kT = pc.inv_kT;
  mail = cuda::PinnedBuffer<Mailbox>(1);
  if (fft_work_bytes) {
    STZ_CUFFT_TRY(cufftSetWorkArea(forward, fft_work.data()));
    STZ_CUFFT_TRY(cufftSetWorkArea(backward, fft_work.data()));
  }

  view.n = params.grid.n;
  view.modes = params.grid.modes;
  view.voxels = v;
  view.rate_blocks = plan.rate_blocks;
  view.barrier = state.field<float>("barrier");
  view.e1 = state.field<float>("sfts_e1");
  view.e3 = state.field<float>("sfts_e3");
  view.softened = mixed ? nullptr : softened.data();
  view.q = mixed ? nullptr : q.data();
  view.softened_f = mixed ? softened_f.data() : nullptr;
  view.p1 = eigenstrain;
  view.p3 = eigenstrain + v;
  view.d1 = state.field<float>("d1");
  view.d3 = state.field<float>("d3");
  view.eta_p = state.field<double>("eta_p");
  view.eta_t = state.field<double>("eta_t");
  view.t_last = state.field<double>("t_last");
  view.generation = state.field<std::uint32_t>("generation");
  view.s11 = stress;
  view.s22 = stress + v;
  view.s12 = stress + 2 * v;
  view.cached_eta = cached_eta.data();
  view.voxel_min = voxel_min.data();
  view.voxel_argmin = voxel_argmin.data();
  view.voxel_rate = voxel_rate.data();
  view.block_rate = block_rate.data();
  view.block_incl = block_incl.data();
  view.bound_stale = bounded ? bound_stale.data() : nullptr;
  kview.k1_11 = kernels.data();
  kview.k1_22 = kernels.data() + v;
  kview.k1_12 = kernels.data() + 2 * v;
  kview.k3_11 = kernels.data() + 3 * v;
  kview.k3_22 = kernels.data() + 4 * v;
  kview.k3_12 = kernels.data() + 5 * v;

  set_l2_window();

  // A defined state before initialize()/upload(): everything zero, the barrier cache stale.
  const auto zero = [this](auto& buffer) {
    if (buffer.size()) STZ_CUDA_TRY(cudaMemsetAsync(buffer.data(), 0, buffer.bytes(), stream));
  };
  state.zero(stream);
  zero(softened), zero(q), zero(softened_f), zero(voxel_min), zero(voxel_rate), zero(voxel_argmin), zero(block_rate),
      zero(block_incl);
  zero(bound_block_sum), zero(bound_block_incl), zero(bound_block_watch), zero(d_bound);
  if (bounded) STZ_CUDA_TRY(cudaMemsetAsync(bound_stale.data(), 1, v, stream));
  cuda::launch_invalidate_cache(view, stream);
}

void CudaBackend::Impl::set_l2_window() {
  // The softened barriers A are read by every barrier pass and change only where a voxel
  // transformed: an access-policy window on the stream (captured into the loop's graph with
  // the kernels) asks L2 to keep as much of them as its persisting part holds. A hint: results
  // do not depend on it, and a device without persisting L2 simply goes without.
  if (!params.solver.gpu_l2_window || props.persistingL2CacheMaxSize <= 0 || props.accessPolicyMaxWindowSize <= 0)
    return;
  void* const a_base = mixed ? static_cast<void*>(softened_f.data()) : static_cast<void*>(softened.data());
  const std::size_t a_bytes = mixed ? softened_f.bytes() : softened.bytes();
  const std::size_t window = std::min(a_bytes, static_cast<std::size_t>(props.accessPolicyMaxWindowSize));
  const std::size_t persist = std::min(window, static_cast<std::size_t>(props.persistingL2CacheMaxSize));
  if (window == 0 || cudaDeviceSetLimit(cudaLimitPersistingL2CacheSize, persist) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  cudaStreamAttrValue attr{};
  attr.accessPolicyWindow.base_ptr = a_base;
  attr.accessPolicyWindow.num_bytes = window;
  attr.accessPolicyWindow.hitRatio = static_cast<float>(static_cast<double>(persist) / static_cast<double>(window));
  attr.accessPolicyWindow.hitProp = cudaAccessPropertyPersisting;
  attr.accessPolicyWindow.missProp = cudaAccessPropertyStreaming;
  if (cudaStreamSetAttribute(stream, cudaStreamAttributeAccessPolicyWindow, &attr) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  l2_window_bytes = persist;
}

void CudaBackend::Impl::solve(const double* eigenstrain, double* out) {
  // Out-of-place D2Z leaves its input intact (only C2R/Z2D overwrite theirs).
  cufftDoubleComplex* spec = spectra.data();
  const std::size_t s = plan.spectrum;
  STZ_CUFFT_TRY(cufftExecD2Z(forward, const_cast<double*>(eigenstrain), spec));
  cuda::launch_spectral_multiply(spec, spec + s, spec + 2 * s, params.grid.n, medium.e_star, medium.keep_nyquist_corner,
                                 stream);
  STZ_CUFFT_TRY(cufftExecZ2D(backward, spec + 2 * s, out));
}

void CudaBackend::Impl::compute_unit_kernels() {
  // A unit eigenstrain at the origin through the same full solve as the run (as the CPU's
  // FftElasticSolver::unit_kernels does), so kernel and full solve agree to round-off.
  const std::size_t v = plan.voxels;
  cuda::launch_point_source(eigenstrain, eigenstrain + v, v, 1.0, 0.0, stream);
  solve(eigenstrain, kernels.data());
  cuda::launch_point_source(eigenstrain, eigenstrain + v, v, 0.0, 1.0, stream);
  solve(eigenstrain, kernels.data() + 3 * v);
  STZ_CUDA_TRY(cudaMemsetAsync(eigenstrain, 0, 2 * v * sizeof(double), stream));
}

void CudaBackend::Impl::enqueue_loop_passes(std::uint32_t passes, const cudaGraphConditionalHandle* while_handle) {
  // A backend is made for one kinetics rule: its graphs hold that rule's pass.
  for (std::uint32_t i = 0; i < passes; ++i)
    if (bounded)
      cuda::launch_bounded_loop_pass(view, bview, bparams, kview, pc, params.seed, d_loop.data(), d_bound.data(),
                                     d_selection.data(), da.data(), db.data(), d_loop_events.data(), while_handle,
                                     stream);
    else
      cuda::launch_loop_pass(view, kview, pc, params.seed, params.solver.cache_softened_barriers, d_loop.data(),
                             d_pass.data(), d_selection.data(), da.data(), db.data(), d_loop_events.data(),
                             while_handle, stream);
}

cudaGraphExec_t CudaBackend::Impl::loop_while_graph() {
  if (while_graph) return while_graph->exec;
  if (while_graph_failed) return nullptr;
#if CUDART_VERSION < 12040
  while_graph_failed = true;
  while_graph_error =
      "conditional graph nodes need CUDA 12.4 or newer (built with " + std::to_string(CUDART_VERSION) + ")";
  std::fprintf(stderr, "stzkmc: warning: %s: the device loop runs graphs of K passes\n", while_graph_error.c_str());
  return nullptr;
#else
  // A conditional WHILE node (CUDA 12.4+) whose body is one pass: the body runs again as long as
  // its last kernel sets the condition, so a stretch costs exactly its passes (a graph of K
  // passes in a row launches all K, the ones after a stop as empty kernels).
  cudaGraph_t graph = nullptr;
  const auto fail = [&](const std::string& what) {
    cudaGetLastError();  // not sticky: clear it
    if (graph) cudaGraphDestroy(graph);
    while_graph_failed = true;
    while_graph_error = what;
    std::fprintf(stderr,
                 "stzkmc: warning: the device loop's conditional WHILE graph could not be built (%s): it runs "
                 "graphs of K passes instead (the passes after a stop launch as empty kernels)\n",
                 what.c_str());
    return static_cast<cudaGraphExec_t>(nullptr);
  };
  const auto failed = [&](cudaError_t err, const char* call) {
    return fail(std::string(call) + ": " + cudaGetErrorString(err));
  };
  cudaError_t err = cudaGraphCreate(&graph, 0);
  if (err != cudaSuccess) return failed(err, "cudaGraphCreate");
  cudaGraphConditionalHandle handle{};
  err = cudaGraphConditionalHandleCreate(&handle, graph, 1u, cudaGraphCondAssignDefault);
  if (err != cudaSuccess) return failed(err, "cudaGraphConditionalHandleCreate");
  cudaGraphNodeParams node_params{};
  node_params.type = cudaGraphNodeTypeConditional;
  node_params.conditional.handle = handle;
  node_params.conditional.type = cudaGraphCondTypeWhile;
  node_params.conditional.size = 1;
  cudaGraphNode_t node = nullptr;
#if CUDART_VERSION >= 13000
  err = cudaGraphAddNode(&node, graph, nullptr, nullptr, 0, &node_params);
#else
  err = cudaGraphAddNode(&node, graph, nullptr, 0, &node_params);  // 12.4-12.9: no edge data
#endif
  if (err != cudaSuccess) return failed(err, "cudaGraphAddNode (conditional WHILE)");
  cudaGraph_t body = node_params.conditional.phGraph_out[0];
  err = cudaStreamBeginCaptureToGraph(stream, body, nullptr, nullptr, 0, cudaStreamCaptureModeThreadLocal);
  if (err != cudaSuccess) return failed(err, "cudaStreamBeginCaptureToGraph");
  try {
    enqueue_loop_passes(1, &handle);
  } catch (const std::exception& e) {
    // A launch refused in the body: the plain graph is tried next (and reports a real error).
    cudaGraph_t ignored = nullptr;
    cudaStreamEndCapture(stream, &ignored);
    return fail(std::string("capturing the WHILE body: ") + e.what());
  }
  cudaGraph_t captured = nullptr;
  err = cudaStreamEndCapture(stream, &captured);
  if (err != cudaSuccess) return failed(err, "cudaStreamEndCapture (WHILE body)");
  auto h = std::make_unique<GraphHandle>();
  err = cudaGraphInstantiate(&h->exec, graph, 0);
  if (err != cudaSuccess) {
    h->exec = nullptr;
    return failed(err, "cudaGraphInstantiate (WHILE graph)");
  }
  cudaGraphDestroy(graph);
  while_graph = std::move(h);
  return while_graph->exec;
#endif
}

cudaGraphExec_t CudaBackend::Impl::loop_graph(std::uint32_t passes) {
  auto& slot = loop_graphs[passes];
  if (slot) return slot->exec;
  // Every argument of the captured kernels is a device pointer or a constant of the run: the
  // graph is valid for the backend's life (upload() copies into the same buffers).
  cudaGraph_t graph = nullptr;
  STZ_CUDA_TRY(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    enqueue_loop_passes(passes);
  } catch (...) {
    cudaStreamEndCapture(stream, &graph);
    if (graph) cudaGraphDestroy(graph);
    throw;
  }
  STZ_CUDA_TRY(cudaStreamEndCapture(stream, &graph));
  auto handle = std::make_unique<GraphHandle>();
  const cudaError_t err = cudaGraphInstantiate(&handle->exec, graph, 0);
  cudaGraphDestroy(graph);
  STZ_CUDA_TRY(err);
  slot = std::move(handle);
  return slot->exec;
}

// ---- CudaBackend ----------------------------------------------------------------------------

CudaBackend::CudaBackend(const Params& params, const BackendOptions& options)
    : impl_(std::make_unique<Impl>(params, options)) {}

CudaBackend::~CudaBackend() = default;

std::string CudaBackend::device_description() const {
  const cudaDeviceProp& p = impl_->props;
  std::ostringstream os;
  os << "CUDA device " << impl_->device << ": " << p.name << ", compute capability " << p.major << "." << p.minor
     << ", " << p.multiProcessorCount << " SMs, " << format_gib(p.totalGlobalMem) << " GiB";
  if (impl_->l2_window_bytes)
    os << ", L2 window " << impl_->l2_window_bytes / (1024 * 1024) << " MiB of the softened barriers";
  if (impl_->mixed) os << ", mixed-precision pass (float barriers and rates)";
  return os.str();
}

void CudaBackend::initialize() {
  Impl& m = *impl_;
  m.activate();
  // Never transformed: t_last far in the past so temporary softening is fully decayed.
  cuda::launch_initialize(m.view, m.pc, m.params.seed, -100.0 * m.pc.tau, m.stream);
  if (m.bounded) {
    // No bound yet: every voxel stale, every bound zero (update_bounds(all) computes them).
    for (double* f : {m.bview.s1, m.bview.s3, m.bview.margin, m.bview.rate, m.bview.low})
      STZ_CUDA_TRY(cudaMemsetAsync(f, 0, m.voxels() * sizeof(double), m.stream));
    STZ_CUDA_TRY(cudaMemsetAsync(m.bound_stale.data(), 1, m.voxels(), m.stream));
    m.sum_all_bounds();
  }
  m.synchronize();
  m.rates_valid = false;
  m.selection_valid = false;
}

RateSummary CudaBackend::compute_barriers_and_rates(double time, const Sym2& mean_stress) {
  Impl& m = *impl_;
  m.activate();
  // The mean-stress combinations exactly as CpuBackend forms them.
  const double mean_s1 = mean_stress.xx - mean_stress.yy;
  const double mean_s3 = 2.0 * mean_stress.xy;
  m.timer.time("barrier pass (barriers, rates, block sums, scan)", m.stream, [&] {
    cuda::launch_barrier_pass(m.view, m.pc, time, mean_s1, mean_s3, m.params.solver.cache_softened_barriers,
                              m.d_pass.data(), m.stream);
  });
  STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->pass, m.d_pass.data(), sizeof(cuda::PassResult), cudaMemcpyDeviceToHost,
                               m.stream));
  m.synchronize();
  const cuda::PassResult& r = m.mail.data()->pass;
  RateSummary s;
  s.any_unstable = r.any_unstable != 0;
  s.min_barrier = r.min_barrier;
  s.shifted_rate_sum = r.shifted_rate_sum;
  m.last = s;
  m.rates_valid = true;
  m.selection_valid = false;
  return s;
}

Event CudaBackend::select_thermal_event(double u) {
  Impl& m = *impl_;
  if (!m.rates_valid || m.last.any_unstable)
    throw std::logic_error("select_thermal_event needs a stable barrier pass first");
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_thermal_event: u must lie in [0, 1)");
  m.activate();
  m.timer.time("selection", m.stream,
               [&] { cuda::launch_select(m.view, m.pc, u, m.d_pass.data(), m.d_selection.data(), m.stream); });
  STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->selection, m.d_selection.data(), sizeof(cuda::Selection),
                               cudaMemcpyDeviceToHost, m.stream));
  m.synchronize();
  const cuda::Selection sel = m.mail.data()->selection;
  if (sel.error) throw std::logic_error("select_thermal_event: selected a voxel without rate");
  m.selection_valid = true;
  return {sel.voxel, sel.mode, sel.barrier};
}

PlasticIncrement CudaBackend::transform(const Event& event, double time) {
  Impl& m = *impl_;
  if (event.voxel >= m.voxels() || event.mode >= static_cast<std::uint32_t>(m.params.grid.modes))
    throw std::out_of_range("transform: voxel " + std::to_string(event.voxel) + ", mode " + std::to_string(event.mode) +
                            " outside the grid of " + std::to_string(m.voxels()) + " voxels x " +
                            std::to_string(m.params.grid.modes) + " modes");
  m.activate();
  m.timer.time("transformation (one voxel)", m.stream, [&] {
    cuda::launch_transformations(m.view, m.pc, m.params.seed, time, nullptr, 1u, event.voxel, event.mode, m.da.data(),
                                 m.db.data(), nullptr, m.stream);
  });
  m.timer.time("stress update (single-voxel kernel)", m.stream,
               [&] { cuda::launch_stress_update(m.view, m.kview, event.voxel, m.da.data(), m.db.data(), m.stream); });
  double a, b;
  const cuda::Selection& sel = m.mail.data()->selection;
  if (m.selection_valid && sel.voxel == event.voxel && sel.mode == event.mode) {
    a = sel.e1;  // the SFTS the kernel applies, read by the selection from the same catalog
    b = sel.e3;
  } else {
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->ab[0], m.da.data(), sizeof(double), cudaMemcpyDeviceToHost, m.stream));
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->ab[1], m.db.data(), sizeof(double), cudaMemcpyDeviceToHost, m.stream));
    m.synchronize();
    a = m.mail.data()->ab[0];
    b = m.mail.data()->ab[1];
  }
  m.selection_valid = false;
  m.rates_valid = false;
  return {a, b, 1};
}

PlasticIncrement CudaBackend::athermal_pass(double time, std::vector<Event>* flipped) {
  Impl& m = *impl_;
  if (!m.rates_valid) throw std::logic_error("athermal_pass needs a barrier pass first");
  m.activate();
  std::uint32_t count = 0;
  if (m.params.athermal.variant == AthermalVariant::simultaneous) {
    m.timer.time("athermal compaction (CUB select)", m.stream, [&] {
      cuda::launch_athermal_select(m.cub_temp.data(), m.cub_temp_bytes, m.view, m.params.athermal.threshold,
                                   m.flip_list.data(), m.d_count.data(), m.stream);
    });
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->count, m.d_count.data(), sizeof(std::uint32_t), cudaMemcpyDeviceToHost,
                                 m.stream));
    m.synchronize();
    count = m.mail.data()->count;
  } else if (m.last.min_barrier < 0.0) {
    // Only the most negative voxel, first index on ties; its index stays on the device.
    m.timer.time("athermal first minimum", m.stream,
                 [&] { cuda::launch_first_minimum(m.view, m.d_pass.data(), m.flip_list.data(), m.stream); });
    count = 1;
  }
  m.rates_valid = false;
  m.selection_valid = false;
  if (count == 0) return {};
  m.timer.time("athermal flips and sums", m.stream, [&] {
    cuda::launch_transformations(m.view, m.pc, m.params.seed, time, m.flip_list.data(), count, 0u, 0u, m.da.data(),
                                 m.db.data(), flipped ? m.records.data() : nullptr, m.stream);
    cuda::launch_sum_increments(m.da.data(), m.db.data(), count, m.d_sums.data(), m.stream);
  });
  STZ_CUDA_TRY(
      cudaMemcpyAsync(m.mail.data()->sums, m.d_sums.data(), 2 * sizeof(double), cudaMemcpyDeviceToHost, m.stream));
  std::vector<cuda::FlipRecord> recs;
  if (flipped) copy_to_host(recs, m.records.data(), count, m.stream);
  m.synchronize();
  if (flipped)
    for (const cuda::FlipRecord& r : recs) flipped->push_back({r.voxel, r.mode, r.barrier});
  PlasticIncrement inc;
  inc.dp1_sum = m.mail.data()->sums[0];
  inc.dp3_sum = m.mail.data()->sums[1];
  inc.flips = count;
  return inc;
}

ElasticMedium CudaBackend::medium() const { return impl_->medium; }

void CudaBackend::set_temperature(double kelvin) {
  // Every kernel takes the constants by value at its launch; nothing on the device holds kT but
  // the device loop's captured graphs, which are built again at their next use.
  Impl& m = *impl_;
  m.activate();
  m.while_graph.reset();  // (a WHILE graph that could not be built stays so)
  m.loop_graphs.clear();
  m.rates_valid = false;
  m.selection_valid = false;
  m.params.kinetics.temperature = kelvin;
  m.pc = derive_constants(m.params);
  m.bparams.tau = m.pc.tau;
  m.bparams.slack = m.params.kinetics.bound_slack * m.pc.kT;
  m.bparams.shift = bound_shift(m.pc.kT);
  m.bparams.inv_kT = m.pc.inv_kT;
}

void CudaBackend::full_solve() {
  Impl& m = *impl_;
  m.activate();
  m.timer.time("full solve (cuFFT D2Z, spectral, Z2D)", m.stream, [&] { m.solve(m.eigenstrain, m.stress); });
  m.rates_valid = false;
  m.selection_valid = false;
}

LoopOutcome CudaBackend::run_passes(PassScalars& s, const LoopConfig& c, std::vector<LoopEvent>* events) {
  Impl& m = *impl_;
  if ((c.rule == ThermalRule::bounded) != m.bounded)
    throw std::logic_error("run_passes: kinetics rule " + std::string(c.rule == ThermalRule::bounded ? "" : "not ") +
                           "bounded on a CUDA backend made for " + (m.bounded ? "the bounded rule" : "another rule"));
  if (c.max_passes < 1 || c.max_passes > static_cast<std::uint32_t>(max_gpu_loop_chunk))
    throw std::invalid_argument("run_passes: max_passes = " + std::to_string(c.max_passes) + " outside [1, " +
                                std::to_string(max_gpu_loop_chunk) + "]");
  m.activate();
  // The graph first, so that building it (once) is not timed as device work.
#ifndef STZ_CUDA_SYNC_CHECK
  cudaGraphExec_t graph = m.loop_while_graph();
  const bool one_pass_body = graph != nullptr;
  if (!graph) graph = m.loop_graph(c.max_passes);
#endif
  cuda::LoopBlock& block = *m.loop_mail.data();
  block = cuda::LoopBlock{};
  block.s = s;
  block.c = c;
  block.running = 1;
  block.record = events ? 1u : 0u;
  STZ_CUDA_TRY(cudaMemcpyAsync(m.d_loop.data(), &block, sizeof block, cudaMemcpyHostToDevice, m.stream));
  if (!m.bounded) cuda::launch_loop_start(m.d_loop.data(), m.d_pass.data(), m.stream);
#ifdef STZ_CUDA_SYNC_CHECK
  m.timer.time("device loop (launched pass by pass: STZ_CUDA_SYNC_CHECK)", m.stream,
               [&] { m.enqueue_loop_passes(c.max_passes); });  // synchronising launches cannot be captured
#else
  m.timer.time(
      one_pass_body ? "device loop (WHILE graph, per stretch)" : "device loop (graph of K passes, per stretch)",
      m.stream, [&] { STZ_CUDA_TRY(cudaGraphLaunch(graph, m.stream)); });
#endif
  // A stretch that ended after an event has left its stress update pending (the next pass's
  // barrier kernel would have applied it): the host needs the stress now.
  if (!m.bounded)
    m.timer.time("device loop: pending stress update flushed (per stretch)", m.stream,
                 [&] { cuda::launch_flush_pending_update(m.view, m.kview, m.d_loop.data(), m.stream); });
  STZ_CUDA_TRY(cudaMemcpyAsync(&block, m.d_loop.data(), sizeof block, cudaMemcpyDeviceToHost, m.stream));
  if (!m.bounded)
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->pass, m.d_pass.data(), sizeof(cuda::PassResult),
                                 cudaMemcpyDeviceToHost, m.stream));
  else
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->bound, m.d_bound.data(), sizeof(cuda::BoundResult),
                                 cudaMemcpyDeviceToHost, m.stream));
  // The event records in the same batch: at most one per pass.
  if (events)
    STZ_CUDA_TRY(cudaMemcpyAsync(m.loop_events_mail.data(), m.d_loop_events.data(), c.max_passes * sizeof(LoopEvent),
                                 cudaMemcpyDeviceToHost, m.stream));
  m.synchronize();
  if (events && block.events > c.max_passes)
    throw std::logic_error("the device loop wrote " + std::to_string(block.events) + " event records in a stretch of " +
                           std::to_string(c.max_passes) + " passes");
  if (events) events->insert(events->end(), m.loop_events_mail.data(), m.loop_events_mail.data() + block.events);
  s = block.s;
  m.selection_valid = false;
  // The stretch's outcome from the block copied back (both rules; bounds_pending is 0 but under
  // the bounded rule).
  const auto outcome = [&block] {
    if (block.running || block.stop > static_cast<std::uint32_t>(LoopStop::error))
      throw std::logic_error("the device loop ended in an undefined state (running " + std::to_string(block.running) +
                             ", stop " + std::to_string(block.stop) + ")");
    LoopOutcome out;
    out.stop = static_cast<LoopStop>(block.stop);
    out.passes = block.passes;
    out.last_transformations = block.last_transformations;
    out.bounds_pending = block.bounds_pending != 0;
    return out;
  };
  if (m.bounded) {
    // The bounded rule's stretch: its bound sum is the backend's (bound_sum()); an error is
    // named as the host-driven candidate names it.
    m.rates_valid = false;
    m.bound_total = block.s.bounded.bound_sum;
    const cuda::BoundResult& b = m.mail.data()->bound;
    if (block.stop == static_cast<std::uint32_t>(LoopStop::error)) {
      if (b.error == 1)
        throw std::logic_error("rule bounded (device loop): voxel " + std::to_string(b.voxel) + " has rate " +
                               std::to_string(b.rate) + " above its bound " + std::to_string(b.bound));
      if (b.error == 2)
        throw std::logic_error("rule bounded (device loop): accepted voxel " + std::to_string(b.voxel) +
                               " has no mode with a nonzero rate (total rate " + std::to_string(b.rate) + ")");
      if (b.error == 4)
        throw std::logic_error("rule bounded (device loop): a rejected candidate reached the commit kernel (a bug)");
      throw std::logic_error("rule bounded (device loop): no voxel's cumulative bound reaches u S (error " +
                             std::to_string(b.error) + ")");
    }
    return outcome();
  }
  // An unstable pass leaves its barriers for the athermal pass that follows (as a host pass).
  m.rates_valid = block.stop == static_cast<std::uint32_t>(LoopStop::unstable) && !block.running;
  if (m.rates_valid) {
    const cuda::PassResult& r = m.mail.data()->pass;
    m.last.any_unstable = r.any_unstable != 0;
    m.last.min_barrier = r.min_barrier;
    m.last.shifted_rate_sum = r.shifted_rate_sum;
    if (!m.last.any_unstable) throw std::logic_error("the device loop stopped as unstable after a stable pass");
  }
  return outcome();
}

// ---- The "bounded" rule (docs/model.md §5.6; cuda/bounded_kernels.cu) ------------------------------

BoundSummary CudaBackend::update_bounds(double time, const Sym2& mean_now, const Sym2& mean_end, bool all) {
  Impl& m = *impl_;
  m.require_bounded("update_bounds");
  m.activate();
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double drift = std::hypot(end.s1 - now.s1, end.s3 - now.s3);
  cuda::BoundResult* r = m.d_bound.data();
  m.timer.time("bound update (margin check, refreshes, sums, watch)", m.stream, [&] {
    cuda::launch_bound_reset(r, m.stream);
    cuda::launch_bound_refresh(m.view, m.bview, m.bparams, time, now.s1, now.s3, end.s1, end.s3, drift, all, r,
                               m.stream);
    cuda::launch_bound_sums(m.view, m.bview, 0, m.plan.rate_blocks, r, m.stream);
    cuda::launch_bound_watch(m.view, m.bview, m.bparams, time, now.s1, now.s3, end.s1 - now.s1, end.s3 - now.s3, r,
                             m.stream);
  });
  const cuda::BoundResult& b = m.fetch_bound();
  m.bound_total = b.bound_sum;
  BoundSummary s;
  s.bound_sum = b.bound_sum;
  s.any_unstable = b.any_unstable != 0;
  s.unstable_fraction = cuda::from_ordered_key(b.fraction_key);
  s.refreshed = b.refreshed;
  m.rates_valid = false;
  m.selection_valid = false;
  return s;
}

std::uint32_t CudaBackend::select_bounded_voxel(double u) {
  Impl& m = *impl_;
  m.require_bounded("select_bounded_voxel");
  if (!(u >= 0.0 && u < 1.0)) throw std::invalid_argument("select_bounded_voxel: u must lie in [0, 1)");
  m.activate();
  m.timer.time("bounded selection", m.stream, [&] {
    cuda::launch_bound_reset(m.d_bound.data(), m.stream);
    cuda::launch_select_bounded(m.view, m.bview, u, m.d_bound.data(), m.stream);
  });
  const cuda::BoundResult& b = m.fetch_bound();
  if (b.error)
    throw std::logic_error("select_bounded_voxel: no voxel's cumulative bound reaches u S (round-off, or no bound)");
  return b.voxel;
}

BoundedCandidate CudaBackend::bounded_candidate(std::uint32_t voxel, double u_accept, double u_mode, double time,
                                                const Sym2& mean_now, const Sym2& mean_end) {
  Impl& m = *impl_;
  m.require_bounded("bounded_candidate");
  if (voxel >= m.voxels())
    throw std::out_of_range("bounded_candidate: voxel " + std::to_string(voxel) + " outside the grid");
  m.activate();
  const Resolved now = resolved(mean_now), end = resolved(mean_end);
  const double drift = std::hypot(end.s1 - now.s1, end.s3 - now.s3);
  m.timer.time("bounded candidate (exact rates, refresh when rejected)", m.stream, [&] {
    cuda::launch_bound_reset(m.d_bound.data(), m.stream);
    cuda::launch_bounded_candidate(m.view, m.bview, m.bparams, voxel, u_accept, u_mode, time, now.s1, now.s3, drift,
                                   m.d_bound.data(), m.stream);
    // The candidate's block again (unchanged bits when it was accepted) and the total.
    cuda::launch_bound_sums(m.view, m.bview, voxel / cuda::rate_block_voxels, 1, m.d_bound.data(), m.stream);
  });
  const cuda::BoundResult b = m.fetch_bound();
  if (b.error == 1)
    throw std::logic_error("rule bounded: voxel " + std::to_string(voxel) + " has rate " + std::to_string(b.rate) +
                           " above its bound " + std::to_string(b.bound));
  if (b.error)
    throw std::logic_error("rule bounded: accepted voxel " + std::to_string(voxel) +
                           " has no mode with a nonzero rate (total rate " + std::to_string(b.rate) + ")");
  m.rates_valid = false;
  m.selection_valid = false;
  BoundedCandidate c;
  c.accepted = b.accepted != 0;
  c.bound_sum = b.bound_sum;
  m.bound_total = b.bound_sum;
  if (c.accepted) c.event = {voxel, b.mode, b.barrier};
  return c;
}

PlasticIncrement CudaBackend::bounded_athermal_pass(double time, const Sym2& mean_now, std::vector<Event>* flipped) {
  // Exactly the voxels and modes athermal_pass() flips after a full barrier pass, found among
  // the voxels whose bound allows a barrier below the flip level (as the CPU backend).
  Impl& m = *impl_;
  m.require_bounded("bounded_athermal_pass");
  m.activate();
  const Resolved now = resolved(mean_now);
  const bool simultaneous = m.params.athermal.variant == AthermalVariant::simultaneous;
  const double level = simultaneous ? m.params.athermal.threshold : 0.0;
  std::uint32_t count = 0;
  m.timer.time("bounded athermal scan", m.stream, [&] {
    cuda::launch_bound_reset(m.d_bound.data(), m.stream);
    cuda::launch_bounded_athermal_scan(m.view, m.bview, m.bparams, time, now.s1, now.s3, level, m.d_bound.data(),
                                       m.stream);
  });
  if (simultaneous) {
    cuda::launch_athermal_select(m.cub_temp.data(), m.cub_temp_bytes, m.view, level, m.flip_list.data(),
                                 m.d_count.data(), m.stream);
    STZ_CUDA_TRY(cudaMemcpyAsync(&m.mail.data()->count, m.d_count.data(), sizeof(std::uint32_t), cudaMemcpyDeviceToHost,
                                 m.stream));
    m.synchronize();
    count = m.mail.data()->count;
  } else if (m.fetch_bound().min_key != ~0ull) {
    cuda::launch_bounded_first_minimum(m.view, m.d_bound.data(), m.flip_list.data(), m.stream);
    count = 1;
  }
  m.rates_valid = false;
  m.selection_valid = false;
  if (count == 0) return {};
  PlasticIncrement inc;
  inc.flips = count;
  inc.full_solve = count > bounded_kernel_flips;
  cuda::launch_transformations(m.view, m.pc, m.params.seed, time, m.flip_list.data(), count, 0u, 0u, m.da.data(),
                               m.db.data(), flipped ? m.records.data() : nullptr, m.stream);
  cuda::launch_sum_increments(m.da.data(), m.db.data(), count, m.d_sums.data(), m.stream);
  STZ_CUDA_TRY(
      cudaMemcpyAsync(m.mail.data()->sums, m.d_sums.data(), 2 * sizeof(double), cudaMemcpyDeviceToHost, m.stream));
  std::vector<cuda::FlipRecord> recs;
  if (flipped) copy_to_host(recs, m.records.data(), count, m.stream);
  std::vector<std::uint32_t> list;
  if (!inc.full_solve) copy_to_host(list, m.flip_list.data(), count, m.stream);
  m.synchronize();
  inc.dp1_sum = m.mail.data()->sums[0];
  inc.dp3_sum = m.mail.data()->sums[1];
  if (flipped)
    for (const cuda::FlipRecord& r : recs) flipped->push_back({r.voxel, r.mode, r.barrier});
  // The stress: a single-voxel update per flip (in list order, as the CPU), or a full solve.
  if (inc.full_solve)
    m.solve(m.eigenstrain, m.stress);
  else
    for (std::uint32_t i = 0; i < count; ++i)
      cuda::launch_stress_update(m.view, m.kview, list[i], m.da.data() + i, m.db.data() + i, m.stream);
  return inc;
}

double CudaBackend::bound_sum() {
  impl_->require_bounded("bound_sum");
  return impl_->bound_total;
}

void CudaBackend::check_bounds(double time, const Sym2& mean_now) {
  Impl& m = *impl_;
  m.require_bounded("check_bounds");
  m.activate();
  const Resolved now = resolved(mean_now);
  cuda::launch_bound_reset(m.d_bound.data(), m.stream);
  cuda::launch_check_bounds(m.view, m.bview, m.bparams, time, now.s1, now.s3, m.d_bound.data(), m.stream);
  const cuda::BoundResult& b = m.fetch_bound();
  if (b.error)
    throw std::logic_error("rule bounded: voxel " + std::to_string(b.voxel) + " at time " + std::to_string(time) +
                           " has a rate above its bound or a barrier below its bound's lowest");
}

double CudaBackend::bytes_per_pass() const {
  // Traffic model of one stable pass with a warm softening cache (docs/cuda.md, cost model).
  // Per voxel, every pass: eta_p, eta_t, t_last, the cached eta, three stress components, d1,
  // d3 read (64), min and argmin written (12), the voxel rate written (8) and read by the block
  // sums (8).
  const Impl& m = *impl_;
  const double vm = static_cast<double>(m.plan.voxel_modes);
  const double v = static_cast<double>(m.plan.voxels);
  const bool device_loop = m.params.solver.gpu_loop == GpuLoop::device;
  double per_voxel_mode = 0.0;
  double per_voxel = 64 + 12 + 8 + 8;
  if (m.mixed) {
    // e1, e3 and A in float (12); the block sums write the scaled voxel rate back (8).
    per_voxel_mode = 4 + 4 + 4;
    per_voxel += 8;
  } else if (device_loop) {
    per_voxel_mode = 4 + 4 + 8;  // e1, e3, A; the fused rates keep Q in shared memory
  } else {
    per_voxel_mode = 4 + 4 + 8 + 8 + 8;  // e1, e3, A read, Q written, and read by the rate kernel
  }
  // The device loop's barrier kernel applies the last event's stress update as it loads the
  // stress: the six unit kernels read (48) and the stress written back (24).
  if (device_loop) per_voxel += 48 + 24;
  return vm * per_voxel_mode + v * per_voxel;
}

double CudaBackend::copy_bandwidth() {
  // Device-to-device copy of a buffer several times larger than L2 (50 MB on an H100), read +
  // written bytes per second, best of a few timed copies after a warm-up.
  Impl& m = *impl_;
  m.activate();
  std::size_t free_bytes = 0, total_bytes = 0;
  STZ_CUDA_TRY(cudaMemGetInfo(&free_bytes, &total_bytes));
  std::size_t bytes = std::size_t{256} << 20;
  while (bytes > (std::size_t{8} << 20) && 2 * bytes + memory_reserve_bytes > free_bytes) bytes /= 2;
  cuda::DeviceBuffer<unsigned char> a(bytes), b(bytes);
  cudaEvent_t start = nullptr, stop = nullptr;
  STZ_CUDA_TRY(cudaEventCreate(&start));
  STZ_CUDA_TRY(cudaEventCreate(&stop));
  float best_ms = 0.0f;
  for (int rep = 0; rep < 4; ++rep) {
    STZ_CUDA_TRY(cudaEventRecord(start, m.stream));
    STZ_CUDA_TRY(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, m.stream));
    STZ_CUDA_TRY(cudaEventRecord(stop, m.stream));
    STZ_CUDA_TRY(cudaEventSynchronize(stop));
    float ms = 0.0f;
    STZ_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
    if (rep > 0 && (best_ms == 0.0f || ms < best_ms)) best_ms = ms;  // rep 0 warms up
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return best_ms > 0.0f ? 2.0 * static_cast<double>(bytes) / (best_ms * 1e-3) : 0.0;
}

std::vector<DeviceOpTime> CudaBackend::device_profile() {
  impl_->activate();
  return impl_->timer.report();
}

void CudaBackend::download(State& state, bool with_catalog) {
  Impl& m = *impl_;
  m.activate();
  state.n = m.params.grid.n;
  state.modes = m.params.grid.modes;
  m.state.download(state, with_catalog, m.copier, m.stream);
  m.synchronize();
}

void CudaBackend::upload(const State& state) {
  Impl& m = *impl_;
  check_uploadable(state, m.params.grid.n, m.params.grid.modes);
  m.activate();
  m.state.upload(state, m.copier, m.stream);
  cuda::launch_invalidate_cache(m.view, m.stream);
  if (m.bounded) {
    // The bounds come with the state (checkpointed): valid as they are (as on the CPU).
    STZ_CUDA_TRY(cudaMemsetAsync(m.bound_stale.data(), 0, m.voxels(), m.stream));
    m.sum_all_bounds();
  }
  m.synchronize();
  m.rates_valid = false;
  m.selection_valid = false;
}

// ---- Factory and device queries -------------------------------------------------------------

std::unique_ptr<Backend> make_cuda_backend(const Params& params, const BackendOptions& options) {
  return std::make_unique<CudaBackend>(params, options);
}

int cuda_device_count() {
  int count = 0;
  // Without a driver CUDA returns cudaErrorInsufficientDriver (or NoDevice): any error means
  // "no device", and the sticky error state is cleared so later calls are not poisoned.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

std::string cuda_device_name(int ordinal) {
  if (ordinal < 0 || ordinal >= cuda_device_count()) return {};
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, ordinal) != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  return prop.name;
}

}  // namespace stz
