#pragma once
/** @file
 * @brief The State's fields on the device, allocated, copied and zeroed from the field registry
 * (stz/state.hpp): one device buffer per group, the fields of a group one after another
 * (so p1 | p3 and s11 | s22 | s12 are single arrays for the batched cuFFT calls). A new field
 * in the registry is allocated and transferred here without a line of CUDA code. The fields of
 * the bounded kinetics rule (FieldNeed::bounded_rule) are not: that rule runs on the CPU
 * backends only, and the device state leaves them empty.
 */
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "stz/state.hpp"

namespace stz::cuda {

/**
 * @brief Host<->device copies of pageable host memory (the State's std::vectors) through two
 * page-locked chunks: the DMA of one chunk overlaps the host memcpy of the other. Measured on an
 * H200 (tools/gpu_probe.cu): 55 GB/s from page-locked memory against 7-10 GB/s from pageable
 * memory, which the driver stages itself, one chunk at a time without overlap.
 */
class StagedCopier {
 public:
  explicit StagedCopier(std::size_t chunk_bytes = std::size_t{32} << 20) : chunk_(chunk_bytes) {}
  StagedCopier(const StagedCopier&) = delete;
  StagedCopier& operator=(const StagedCopier&) = delete;
  ~StagedCopier() {
    for (cudaEvent_t e : done_)
      if (e) cudaEventDestroy(e);
  }

  /// Copies `bytes` from device `src` into host `dst`; returns when `dst` holds them.
  void to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
    ensure();
    auto* out = static_cast<unsigned char*>(dst);
    const auto* in = static_cast<const unsigned char*>(src);
    const std::size_t chunks = (bytes + chunk_ - 1) / chunk_;
    // Chunk i goes to buffer i % 2; chunk i - 1 is unpacked while chunk i is in flight.
    for (std::size_t i = 0; i <= chunks; ++i) {
      if (i < chunks) {
        const std::size_t off = i * chunk_, len = std::min(chunk_, bytes - off);
        STZ_CUDA_TRY(cudaMemcpyAsync(buffer_[i % 2].data(), in + off, len, cudaMemcpyDeviceToHost, stream));
        STZ_CUDA_TRY(cudaEventRecord(done_[i % 2], stream));
      }
      if (i > 0) {
        const std::size_t j = i - 1, off = j * chunk_, len = std::min(chunk_, bytes - off);
        STZ_CUDA_TRY(cudaEventSynchronize(done_[j % 2]));
        std::memcpy(out + off, buffer_[j % 2].data(), len);
      }
    }
  }

  /// Copies `bytes` from host `src` to device `dst`; `src` may change once this returns.
  void to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
    ensure();
    auto* out = static_cast<unsigned char*>(dst);
    const auto* in = static_cast<const unsigned char*>(src);
    for (std::size_t off = 0, i = 0; off < bytes; off += chunk_, ++i) {
      const std::size_t len = std::min(chunk_, bytes - off);
      // The buffer's previous copy (two chunks ago) must have left it.
      STZ_CUDA_TRY(cudaEventSynchronize(done_[i % 2]));
      std::memcpy(buffer_[i % 2].data(), in + off, len);
      STZ_CUDA_TRY(cudaMemcpyAsync(out + off, buffer_[i % 2].data(), len, cudaMemcpyHostToDevice, stream));
      STZ_CUDA_TRY(cudaEventRecord(done_[i % 2], stream));
    }
  }

 private:
  void ensure() {
    if (done_[0]) return;
    for (int k = 0; k < 2; ++k) {
      buffer_[k] = PinnedBuffer<unsigned char>(chunk_);
      STZ_CUDA_TRY(cudaEventCreateWithFlags(&done_[k], cudaEventDisableTiming));
      STZ_CUDA_TRY(cudaEventRecord(done_[k], nullptr));  // "free" from the start
    }
  }
  std::size_t chunk_;
  PinnedBuffer<unsigned char> buffer_[2];
  cudaEvent_t done_[2] = {nullptr, nullptr};
};

class StateBuffers {
 public:
  /// Allocates every field for `voxels` voxels and `modes` modes (contents undefined), the
  /// bounded rule's fields only when `bounded_rule`.
  void allocate(std::size_t voxels, int modes, bool bounded_rule) {
    voxels_ = voxels;
    modes_ = modes;
    bounded_ = bounded_rule;
    groups_.clear();
    places_.clear();
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      const std::size_t bytes = field.count(voxels, modes, bounded_rule) * sizeof(T);
      Group* g = find_group(field.group);
      if (!g) {
        groups_.push_back(Group{field.group, {}, 0, sizeof(T)});
        g = &groups_.back();
      }
      // Within a group the fields follow each other without padding: one element type.
      if (g->element_size != sizeof(T))
        throw std::logic_error(std::string("state field ") + field.name + ": its group holds another element type");
      places_.push_back(Place{static_cast<std::size_t>(g - groups_.data()), g->bytes});
      g->bytes += bytes;
    });
    for (Group& g : groups_) g.buffer.allocate(g.bytes);
  }

  /// Device pointer of the registry field called `name` (element type T).
  template <class T>
  T* field(const char* name) {
    T* found = nullptr;
    std::size_t index = 0;
    for_each_state_field([&](const auto& field) {
      using U = typename std::decay_t<decltype(field)>::value_type;
      if constexpr (std::is_same_v<T, U>)
        if (!found && std::strcmp(field.name, name) == 0) found = pointer<T>(index);
      ++index;
    });
    if (!found) throw std::logic_error(std::string("no state field ") + name + " of that type");
    return found;
  }

  /// Copies every field to the host (the catalog only if `with_catalog`) through `copier`.
  void download(State& s, bool with_catalog, StagedCopier& copier, cudaStream_t stream) {
    std::size_t index = 0;
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      auto& v = s.*field.member;
      if (field.extent == FieldExtent::voxel_mode && !with_catalog) {
        v.clear();
      } else {
        v.resize(field.count(voxels_, modes_, bounded_));
        if (!v.empty()) copier.to_host(v.data(), pointer<T>(index), v.size() * sizeof(T), stream);
      }
      ++index;
    });
  }

  /// Copies every field from the host (sizes checked by the caller, misfit_field) through
  /// `copier`; a field this run carries but the state lacks (another rule's state) is zeroed.
  void upload(const State& s, StagedCopier& copier, cudaStream_t stream) {
    std::size_t index = 0;
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      const auto& v = s.*field.member;
      const std::size_t count = field.count(voxels_, modes_, bounded_);
      if (count && v.size() == count)
        copier.to_device(pointer<T>(index), v.data(), v.size() * sizeof(T), stream);
      else if (count)
        STZ_CUDA_TRY(cudaMemsetAsync(pointer<T>(index), 0, count * sizeof(T), stream));
      ++index;
    });
  }

  void zero(cudaStream_t stream) {
    for (Group& g : groups_)
      if (g.bytes) STZ_CUDA_TRY(cudaMemsetAsync(g.buffer.data(), 0, g.bytes, stream));
  }

 private:
  struct Group {
    const char* name;
    DeviceBuffer<unsigned char> buffer;
    std::size_t bytes;
    std::size_t element_size;
  };
  struct Place {
    std::size_t group, offset;  ///< bytes into the group's buffer
  };
  Group* find_group(const char* name) {
    for (Group& g : groups_)
      if (std::strcmp(g.name, name) == 0) return &g;
    return nullptr;
  }
  template <class T>
  T* pointer(std::size_t index) {
    const Place& p = places_.at(index);
    return reinterpret_cast<T*>(groups_[p.group].buffer.data() + p.offset);
  }

  std::size_t voxels_ = 0;
  int modes_ = 0;
  bool bounded_ = false;
  std::vector<Group> groups_;
  std::vector<Place> places_;
};

}  // namespace stz::cuda
