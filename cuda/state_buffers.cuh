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

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "stz/state.hpp"

namespace stz::cuda {

class StateBuffers {
 public:
  /// Allocates every field for `voxels` voxels and `modes` modes (contents undefined).
  void allocate(std::size_t voxels, int modes) {
    voxels_ = voxels;
    modes_ = modes;
    groups_.clear();
    places_.clear();
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      const std::size_t bytes = field.count(voxels, modes, false) * sizeof(T);
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

  /// Copies every field to the host (the catalog only if `with_catalog`); asynchronous on `stream`.
  void download(State& s, bool with_catalog, cudaStream_t stream) {
    std::size_t index = 0;
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      auto& v = s.*field.member;
      if (field.extent == FieldExtent::voxel_mode && !with_catalog) {
        v.clear();
      } else {
        v.resize(field.count(voxels_, modes_, false));
        if (!v.empty())
          STZ_CUDA_TRY(
              cudaMemcpyAsync(v.data(), pointer<T>(index), v.size() * sizeof(T), cudaMemcpyDeviceToHost, stream));
      }
      ++index;
    });
  }

  /// Copies every field from the host (sizes checked by the caller, misfit_field).
  void upload(const State& s, cudaStream_t stream) {
    std::size_t index = 0;
    for_each_state_field([&](const auto& field) {
      using T = typename std::decay_t<decltype(field)>::value_type;
      const auto& v = s.*field.member;
      if (!v.empty() && field.need == FieldNeed::always)
        STZ_CUDA_TRY(
            cudaMemcpyAsync(pointer<T>(index), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice, stream));
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
  std::vector<Group> groups_;
  std::vector<Place> places_;
};

}  // namespace stz::cuda
