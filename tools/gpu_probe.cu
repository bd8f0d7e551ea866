// The GPU's ceilings for the cost model in docs/cuda.md (issue 13), measured on the device the
// CUDA backend runs on: device-memory (HBM) and L2 read and copy bandwidth, kernel launch
// throughput and latency, the host round trip of a small copy back, a CUDA graph's launch cost
// per kernel, and host<->device copies from pageable and from page-locked memory.
//
// Built and run by tools/gpu_check.sh (step "probe"):  nvcc -O3 -arch=sm_90 tools/gpu_probe.cu
// Prints a Markdown table; every CUDA call is checked (exit 1 with the call and the error).
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#define CHECK(call)                                                                                      \
  do {                                                                                                   \
    const cudaError_t err_ = (call);                                                                     \
    if (err_ != cudaSuccess) {                                                                           \
      std::fprintf(stderr, "gpu_probe: %s failed at line %d: %s\n", #call, __LINE__, cudaGetErrorString(err_)); \
      std::exit(1);                                                                                      \
    }                                                                                                    \
  } while (0)

namespace {

// Grid-stride read of `n` 16-byte vectors, `passes` times; the sum is written so the loads stay.
__global__ void read_kernel(const float4* __restrict__ in, std::size_t n, int passes, float* out) {
  float acc = 0.0f;
  for (int p = 0; p < passes; ++p)
    for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
         i += std::size_t{gridDim.x} * blockDim.x) {
      const float4 v = in[i];
      acc += v.x + v.y + v.z + v.w;
    }
  if (acc == 1234.5f) out[0] = acc;  // practically never: keeps the reads without a store per thread
}

__global__ void copy_kernel(const float4* __restrict__ in, float4* __restrict__ out, std::size_t n) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n; i += std::size_t{gridDim.x} * blockDim.x)
    out[i] = in[i];
}

__global__ void fill_kernel(float4* out, std::size_t n) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n; i += std::size_t{gridDim.x} * blockDim.x)
    out[i] = make_float4(1e-7f * (i % 1000), 1.0f, 2.0f, 3.0f);
}

__global__ void empty_kernel(int* flag) {
  if (flag && threadIdx.x == 1023) *flag = 1;
}

struct Timer {
  cudaEvent_t a{}, b{};
  Timer() {
    CHECK(cudaEventCreate(&a));
    CHECK(cudaEventCreate(&b));
  }
  ~Timer() {
    cudaEventDestroy(a);
    cudaEventDestroy(b);
  }
  void start(cudaStream_t s) { CHECK(cudaEventRecord(a, s)); }
  double stop_ms(cudaStream_t s) {
    CHECK(cudaEventRecord(b, s));
    CHECK(cudaEventSynchronize(b));
    float ms = 0.0f;
    CHECK(cudaEventElapsedTime(&ms, a, b));
    return ms;
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double host_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int device = argc > 1 ? std::atoi(argv[1]) : 0;
  CHECK(cudaSetDevice(device));
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, device));
  cudaStream_t s{};
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  const int sms = prop.multiProcessorCount;
  const int blocks = sms * 8, threads = 256;
  std::printf("gpu_probe: %s, compute capability %d.%d, %d SMs, L2 %.1f MB, %.1f GiB\n\n", prop.name, prop.major,
              prop.minor, sms, prop.l2CacheSize / 1e6, prop.totalGlobalMem / 1073741824.0);
  std::printf("| quantity | value | how |\n|---|---|---|\n");

  // Device memory: 2 GiB each way, far beyond L2; medians of 7 after a warm-up.
  const std::size_t big = std::size_t{2} << 30, nbig = big / sizeof(float4);
  float4 *a = nullptr, *b = nullptr;
  float* sink = nullptr;
  CHECK(cudaMalloc(&a, big));
  CHECK(cudaMalloc(&b, big));
  CHECK(cudaMalloc(&sink, sizeof(float)));
  fill_kernel<<<blocks, threads, 0, s>>>(a, nbig);
  CHECK(cudaGetLastError());
  Timer t;
  std::vector<double> ms;
  for (int r = 0; r < 8; ++r) {
    t.start(s);
    read_kernel<<<blocks, threads, 0, s>>>(a, nbig, 1, sink);
    const double x = t.stop_ms(s);
    if (r) ms.push_back(x);
  }
  CHECK(cudaGetLastError());
  std::printf("| device memory read | %.0f GB/s | 2 GiB read once, 16-byte loads, median of 7 |\n", big / median(ms) / 1e6);
  ms.clear();
  for (int r = 0; r < 8; ++r) {
    t.start(s);
    copy_kernel<<<blocks, threads, 0, s>>>(a, b, nbig);
    const double x = t.stop_ms(s);
    if (r) ms.push_back(x);
  }
  CHECK(cudaGetLastError());
  std::printf("| device memory copy | %.0f GB/s | 2 GiB kernel copy, bytes read + written |\n", 2.0 * big / median(ms) / 1e6);

  // L2: a buffer well inside the L2 read 50 times per launch.
  const std::size_t l2bytes = std::min<std::size_t>(prop.l2CacheSize / 4, std::size_t{16} << 20);
  const int passes = 50;
  ms.clear();
  for (int r = 0; r < 6; ++r) {
    t.start(s);
    read_kernel<<<blocks, threads, 0, s>>>(a, l2bytes / sizeof(float4), passes, sink);
    const double x = t.stop_ms(s);
    if (r) ms.push_back(x);
  }
  CHECK(cudaGetLastError());
  std::printf("| L2 read | %.0f GB/s | %.1f MB read %d times per launch |\n", l2bytes * double(passes) / median(ms) / 1e6,
              l2bytes / 1e6, passes);

  // Launches: back to back (throughput), each followed by a stream synchronisation (latency),
  // a 32-byte copy back + synchronisation (the backend's per-operation round trip).
  const int launches = 2000;
  int* flag = nullptr;
  CHECK(cudaMalloc(&flag, sizeof(int)));
  empty_kernel<<<1, 32, 0, s>>>(flag);
  CHECK(cudaStreamSynchronize(s));
  t.start(s);
  for (int i = 0; i < launches; ++i) empty_kernel<<<1, 32, 0, s>>>(flag);
  std::printf("| kernel launch, back to back | %.2f us | %d empty launches on one stream, device time |\n",
              1e3 * t.stop_ms(s) / launches, launches);
  double h0 = host_seconds();
  for (int i = 0; i < launches; ++i) {
    empty_kernel<<<1, 32, 0, s>>>(flag);
    CHECK(cudaStreamSynchronize(s));
  }
  std::printf("| launch + stream synchronisation | %.2f us | host wall time per empty launch waited for |\n",
              1e6 * (host_seconds() - h0) / launches);
  double* pinned_small = nullptr;
  CHECK(cudaMallocHost(&pinned_small, 32));
  h0 = host_seconds();
  for (int i = 0; i < launches; ++i) {
    empty_kernel<<<1, 32, 0, s>>>(flag);
    CHECK(cudaMemcpyAsync(pinned_small, a, 32, cudaMemcpyDeviceToHost, s));
    CHECK(cudaStreamSynchronize(s));
  }
  std::printf("| launch + 32 B copy back + synchronisation | %.2f us | the host-driven loop's round trip |\n",
              1e6 * (host_seconds() - h0) / launches);

  // A CUDA graph of 8 empty kernels, replayed: launch cost per kernel inside a graph.
  cudaGraph_t graph{};
  cudaGraphExec_t exec{};
  CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int k = 0; k < 8; ++k) empty_kernel<<<1, 32, 0, s>>>(flag);
  CHECK(cudaStreamEndCapture(s, &graph));
  CHECK(cudaGraphInstantiate(&exec, graph, 0));
  CHECK(cudaGraphLaunch(exec, s));
  CHECK(cudaStreamSynchronize(s));
  t.start(s);
  for (int i = 0; i < launches / 8; ++i) CHECK(cudaGraphLaunch(exec, s));
  std::printf("| kernel in a replayed graph | %.2f us | graph of 8 empty kernels, device time per kernel |\n",
              1e3 * t.stop_ms(s) / launches);
  CHECK(cudaGraphExecDestroy(exec));
  CHECK(cudaGraphDestroy(graph));

  // Host <-> device: 256 MiB from pageable and from page-locked host memory.
  const std::size_t hbytes = std::size_t{256} << 20;
  std::vector<char> pageable(hbytes, 1);
  char* pinned = nullptr;
  CHECK(cudaMallocHost(&pinned, hbytes));
  std::fill(pinned, pinned + hbytes, 1);
  for (int dir = 0; dir < 2; ++dir)
    for (int kind = 0; kind < 2; ++kind) {
      char* host = kind ? pinned : pageable.data();
      ms.clear();
      for (int r = 0; r < 4; ++r) {
        t.start(s);
        if (dir == 0)
          CHECK(cudaMemcpyAsync(b, host, hbytes, cudaMemcpyHostToDevice, s));
        else
          CHECK(cudaMemcpyAsync(host, b, hbytes, cudaMemcpyDeviceToHost, s));
        const double x = t.stop_ms(s);
        if (r) ms.push_back(x);
      }
      std::printf("| %s, %s host memory | %.1f GB/s | 256 MiB, median of 3 |\n", dir ? "device to host" : "host to device",
                  kind ? "page-locked" : "pageable", hbytes / median(ms) / 1e6);
    }
  CHECK(cudaFreeHost(pinned));
  CHECK(cudaFreeHost(pinned_small));
  CHECK(cudaFree(flag));
  CHECK(cudaFree(sink));
  CHECK(cudaFree(b));
  CHECK(cudaFree(a));
  CHECK(cudaStreamDestroy(s));
  return 0;
}
