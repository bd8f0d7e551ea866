#pragma once
/** @file
 * @brief What this machine can give a run: available host memory (RAM and the cgroup limit a
 * batch system imposes), and the memory check every run passes before it allocates anything.
 */
#include <cstddef>
#include <string>

#include "stz/params.hpp"

namespace stz::io {

/// Bytes a new allocation can use: MemAvailable, lowered by a cgroup (v2 or v1) memory limit.
/// 0 when unknown.
std::size_t available_memory_bytes();

/// "1.5 GiB", "640 MiB".
std::string bytes_text(double bytes);

/**
 * @brief Host memory a run of these parameters needs on backend `kind`: the backend's arrays
 * (backend_host_memory_bytes), the state copies of a checkpoint (one written, one read back to
 * verify it) and of a field snapshot.
 */
std::size_t run_host_memory_bytes(const std::string& kind, const Params& params);

/// Throws std::invalid_argument (need vs available, grid.n and grid.modes named) when a run
/// cannot fit in the available memory; does nothing when the available memory is unknown.
void check_run_memory(const std::string& kind, const Params& params);

}  // namespace stz::io
