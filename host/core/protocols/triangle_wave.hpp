#pragma once
/** @file
 * @brief The triangular wave of cyclic loading (docs/model.md §6.7), as a function of the
 * distance travelled s along it: a first leg from where the stage starts to the top m + A, then
 * full cycles down to m - A and back up. Strain cycles (cyclic.hpp) travel it in applied strain,
 * stress cycles (stress_cycles.hpp) in loaded stress.
 */
#include <algorithm>
#include <cmath>

namespace stz {

struct TriangleWave {
  double start = 0.0;      ///< where the first leg starts
  double mean = 0.0;       ///< m
  double amplitude = 0.0;  ///< A
  int cycles = 0;          ///< full cycles after the first leg

  double top() const { return mean + amplitude; }
  /// The length of the first leg, |m + A - start|.
  double first_leg() const { return std::abs(top() - start); }
  /// The whole path: the first leg and the cycles.
  double length() const { return first_leg() + 4.0 * amplitude * cycles; }

  /// The wave's value after travelling s (s = 0: start).
  double at(double s) const {
    const double first = first_leg();
    if (s <= first) return top() >= start ? start + s : start - s;  // start + s: the rise of a first stage
    const double u = std::fmod(s - first, 4.0 * amplitude);
    return u <= 2.0 * amplitude ? top() - u : (mean - amplitude) + (u - 2.0 * amplitude);
  }
  /// Full cycles completed after travelling s (0 during the first leg).
  double cycles_done(double s) const {
    const double first = first_leg();
    return s <= first ? 0.0 : std::floor((s - first) / (4.0 * amplitude));
  }
  /// A straight leg of the path: the first leg, then the half cycles (length 2A).
  struct Leg {
    double index = 0.0;  ///< 0: the first leg
    double begin = 0.0;  ///< where it begins along the path
    double length = 0.0;
  };
  /// The leg s lies on (a turning point begins the next leg).
  Leg leg(double s) const {
    const double first = first_leg();
    if (s < first) return {0.0, 0.0, first};
    const double k = std::floor((s - first) / (2.0 * amplitude));
    return {1.0 + k, first + 2.0 * amplitude * k, 2.0 * amplitude};
  }
  /// Equal pieces of at most `unit` a leg of `length` is cut into.
  static double pieces(double length, double unit) { return std::max(1.0, std::ceil(length / unit - 1e-9)); }

  /// Where a step of at most `unit` from s ends: s + unit, or the next turning point if that
  /// comes first (a step never crosses one). s within rounding of a turning point has left it:
  /// within 1e-9 unit, or within `resolution`, the finest step of s the clock can still make
  /// (a stage that begins late: protocol.hpp, clock_resolution).
  double step_end(double s, double unit, double resolution) const {
    const double tolerance = std::max(1e-9 * unit, resolution);
    Leg g = leg(s);
    if (g.begin + g.length - s <= tolerance) g = leg(g.begin + g.length + tolerance);
    return std::min(s + unit, g.begin + g.length);
  }

  /// How many pieces lie before s when every leg is cut into equal pieces of at most `unit`,
  /// fractional within a piece: whole numbers at every turning point (the record schedule).
  double grid_coordinate(double s, double unit) const {
    const Leg g = leg(s);
    const double first = pieces(first_leg(), unit), later = pieces(2.0 * amplitude, unit);
    const double before = g.index == 0.0 ? 0.0 : first + (g.index - 1.0) * later;
    return before + std::min(s - g.begin, g.length) / g.length * (g.index == 0.0 ? first : later);
  }

  /// The end of the path is reached (within a part in 1e-12: the clock advances in steps; and
  /// within `resolution`, as in step_end).
  bool completed(double s, double resolution) const { return s >= length() * (1.0 - 1e-12) - resolution; }
};

}  // namespace stz
