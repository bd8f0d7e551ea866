#pragma once
/** @file
 * @brief `stzkmc analyze`: the analysis stored in an output file, and the same quantities
 * derived again from its /curve, field snapshots and /avalanches.
 */
#include <string>

#include "io/records.hpp"

namespace stz::io {

/// /analysis of an output file.
RunAnalysis stored_analysis(const std::string& h5_path);

/**
 * @brief Recomputes the analysis from the data: yield from /curve (interpolated between
 * recorded points, so it differs slightly from the per-pass tracking of the run), extreme
 * sites and SLI from the snapshot taken at the localization point, avalanche statistics
 * from /avalanches.
 */
RunAnalysis recomputed_analysis(const std::string& h5_path);

/// The report `stzkmc analyze` prints.
std::string analysis_report(const std::string& h5_path, bool recompute);

}  // namespace stz::io
