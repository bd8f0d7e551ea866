#pragma once
/** @file
 * @brief AQS training traces for SEEM and their readers: the project's HDF5 dataset
 * (tools/seem/lammps_to_h5.py writes it) and LAMMPS log files (thermo columns).
 */
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stz/seem/model.hpp"

namespace stz::seem {

/// One athermal quasistatic shear trace: the state after each AQS step.
struct AqsTrace {
  std::string name;           ///< e.g. "r100_s03" or the log file name
  double cooling_rate = 0.0;  ///< K/ps (0 when unknown)
  int sample = -1;            ///< sample index within its cooling rate
  std::uint64_t seed = 0;     ///< LAMMPS seed of the glass
  int natoms = 0;
  double omega = 0.0;         ///< volume per atom (A^3); 0 = unknown (use the fit's)
  std::vector<double> gamma;  ///< engineering shear strain
  std::vector<double> tau;    ///< shear stress (GPa)
  std::vector<double> pe;     ///< potential energy per atom (eV)
};

/// A set of traces plus the dataset's provenance attributes (name -> text).
struct AqsDataset {
  std::vector<AqsTrace> traces;
  std::map<std::string, std::string> provenance;
};

/// Reads the project's HDF5 dataset: /samples/<name>/{gamma,tau,pe} (+ attributes).
/// Throws std::runtime_error naming the file and the missing group or dataset.
AqsDataset read_aqs_h5(const std::string& path);

/// Writes traces in the same layout (used by tests and by conversions from logs).
void write_aqs_h5(const std::string& path, const AqsDataset& data);

/// Which thermo columns of a LAMMPS log hold the three SEEM quantities, and how to scale them.
struct LogColumns {
  std::string strain = "v_gamma";  ///< shear strain column
  std::string stress = "v_tau";    ///< shear stress column
  std::string energy = "v_pea";    ///< potential-energy column
  double stress_scale = 1.0;       ///< multiply stress by this to get GPa (-1e-4 for Pxy in bar)
  double energy_scale = 1.0;       ///< multiply energy by this to get eV/atom (1/N for PotEng)
  /// "last": keep the last row of every run/minimize block (the relaxed AQS state; LAMMPS
  /// prints the start and end of each minimization); "all": keep every thermo row.
  std::string rows = "last";
};

/// Reads AQS states from the thermo output of a LAMMPS log. Throws with the file name and
/// the missing column (listing the columns found) when a requested column is absent.
AqsTrace read_lammps_log(const std::string& path, const LogColumns& cols);

/// Reads the X1 fit (tools/seem/fit_x1.py writes it): root attributes G0, uA, tauA, tauB, u0,
/// omega. Throws naming the file and the missing attribute.
X1Params read_x1_fit(const std::string& path);

/// Checks a trace (equal lengths, >= 2 states, finite values, strictly increasing strain);
/// throws naming the trace and the first offending index.
void validate_trace(const AqsTrace& t);

}  // namespace stz::seem
