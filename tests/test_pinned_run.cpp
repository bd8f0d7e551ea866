// [pinned] A 64^2 reference run pinned bit for bit: its event sequence (time, voxel, mode,
// barrier, branch), its curve and its final per-voxel state. Refactors must keep these digests;
// a change of physics or of floating-point evaluation changes them on purpose, and then the
// values below are updated in the same commit, with the reason in its message.
//
// The build is reproducible across x86-64 machines (-ffp-contract=off, explicit FMA, fixed
// reduction orders: docs/performance.md), so the digests hold on any CPU and thread count.
#include <catch2/catch.hpp>

#include <cinttypes>
#include <cstdio>

#include "backends/factory.hpp"
#include "core/driver.hpp"
#include "io/digest.hpp"
#include "stz/backend.hpp"
#include "test_support.hpp"

using namespace stz;

namespace {

struct RunDigests {
  std::uint64_t events = 0, curve = 0, state = 0;
  std::uint64_t event_count = 0;
};

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

/// The pinned run: the reference profile at 64^2, seed 1, tension at 1e-4/s to strain 0.06.
Params pinned_params() {
  Params p;
  p.grid.n = 64;
  p.seed = 1;
  p.record_events = true;
  return p;
}

RunDigests run_and_digest(const std::string& backend_kind, int threads) {
  const Params p = pinned_params();
  auto backend = make_backend(backend_kind, p, BackendOptions{threads, 0});
  Driver d(p, *backend);
  d.start();
  d.run();
  RunDigests r;
  io::Digest ev, cu, st;
  for (const EventRecord& e : d.results().events) {
    ev.add(e.time);
    ev.add(static_cast<std::uint64_t>(e.voxel));
    ev.add(static_cast<std::uint64_t>(e.mode));
    ev.add(e.barrier);
    ev.add(static_cast<std::uint64_t>(e.branch));
  }
  r.event_count = d.results().events.size();
  for (const CurvePoint& c : d.results().curve)
    for (double v : {c.applied_strain, c.strain.xx, c.strain.yy, c.strain.xy, c.stress.xx, c.stress.yy, c.stress.xy,
                     c.p1_mean, c.p3_mean, c.time})
      cu.add(v);
  State s;
  backend->download(s, true);
  for (const auto* a : {&s.p1, &s.p3, &s.eta_p, &s.eta_t, &s.t_last, &s.s11, &s.s22, &s.s12}) st.add(*a);
  st.add(s.barrier);
  st.add(s.sfts_e1);
  st.add(s.sfts_e3);
  st.add(s.d1);
  st.add(s.d3);
  st.add(s.generation);
  r.events = ev.value();
  r.curve = cu.value();
  r.state = st.value();
  return r;
}

// The pinned values (commit "pinned 64^2 run"; see the comment at the top before changing them).
constexpr std::uint64_t pinned_event_count = 2509;
constexpr std::uint64_t pinned_events = 0x7a1a15784ce6d5fd;
constexpr std::uint64_t pinned_curve = 0xabc768167830fdab;
constexpr std::uint64_t pinned_state = 0x90556f4c92605edc;

}  // namespace

TEST_CASE("the pinned 64^2 run keeps its event sequence, curve and final state bit for bit", "[pinned]") {
  const RunDigests r = run_and_digest("cpu", 1);
  INFO("events " << r.event_count << " " << hex(r.events) << ", curve " << hex(r.curve) << ", state " << hex(r.state));
  CHECK(r.event_count == pinned_event_count);
  CHECK(r.events == pinned_events);
  CHECK(r.curve == pinned_curve);
  CHECK(r.state == pinned_state);
  // Threads change nothing (fixed reduction blocks).
  const RunDigests two = run_and_digest("cpu", 2);
  CHECK(two.events == r.events);
  CHECK(two.state == r.state);
}
