#pragma once
/** @file
 * @brief Owning device and pinned-host arrays (move-only RAII over cudaMalloc/cudaMallocHost).
 * Kernels never see these: they receive raw pointers gathered in trivially copyable views.
 */
#include <cuda_runtime.h>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "cuda/cuda_check.cuh"

namespace stz::cuda {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { allocate(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), count_(std::exchange(o.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      ptr_ = std::exchange(o.ptr_, nullptr);
      count_ = std::exchange(o.count_, 0);
    }
    return *this;
  }

  /// Replaces the contents with `count` uninitialised elements.
  void allocate(std::size_t count) {
    release();
    if (count == 0) return;
    void* p = nullptr;
    STZ_CUDA_TRY(cudaMalloc(&p, count * sizeof(T)));
    ptr_ = static_cast<T*>(p);
    count_ = count;
  }

  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  void release() noexcept {
    // cudaFree in a destructor must not throw; a failure here means the context is already
    // broken, which the next checked call reports.
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    count_ = 0;
  }
  T* ptr_ = nullptr;
  std::size_t count_ = 0;
};

/// Page-locked host memory for the few scalars each operation copies back asynchronously.
template <class T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  /// `count` value-initialised elements (T trivially copyable: filled by DMA copies).
  explicit PinnedBuffer(std::size_t count) {
    static_assert(std::is_trivially_copyable_v<T>, "page-locked buffers hold trivially copyable records");
    void* p = nullptr;
    STZ_CUDA_TRY(cudaMallocHost(&p, count * sizeof(T)));
    ptr_ = static_cast<T*>(p);
    for (std::size_t i = 0; i < count; ++i) new (ptr_ + i) T();
  }
  ~PinnedBuffer() {
    if (ptr_) cudaFreeHost(ptr_);
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
      if (ptr_) cudaFreeHost(ptr_);
      ptr_ = std::exchange(o.ptr_, nullptr);
    }
    return *this;
  }
  T* data() { return ptr_; }
  T& operator[](std::size_t i) { return ptr_[i]; }

 private:
  T* ptr_ = nullptr;
};

}  // namespace stz::cuda
