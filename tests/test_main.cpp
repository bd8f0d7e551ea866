// Catch2 runner shared by every suite: `--backend cpu|cuda|reference` picks the backend that the
// [backend] and [compare] tests exercise. Exits 77 (ctest "skipped") when the CUDA backend has
// no usable device, unless STZ_REQUIRE_GPU=1, in which case that is a failure.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "stz/backend.hpp"
#include "test_support.hpp"

namespace stz::test {
std::string backend_name = "cpu";
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  using namespace Catch::clara;
  auto cli = session.cli() |
             Opt(stz::test::backend_name, "cpu|cuda|reference")["--backend"]("backend exercised by [backend] tests");
  session.cli(cli);
  if (int rc = session.applyCommandLine(argc, argv)) return rc;
  if (stz::test::backend_name != "cpu" && stz::test::backend_name != "cuda" && stz::test::backend_name != "reference") {
    std::fprintf(stderr, "--backend must be cpu, cuda or reference, got '%s'\n", stz::test::backend_name.c_str());
    return 2;
  }
  if (stz::test::backend_name == "cuda" && stz::test::needs_gpu_skip()) {
    const char* req = std::getenv("STZ_REQUIRE_GPU");
    if (req && std::string(req) == "1") {
      std::fprintf(stderr, "STZ_REQUIRE_GPU=1 but the CUDA backend has no usable device\n");
      return 1;
    }
    std::printf("SKIPPED: the CUDA backend has no usable device (set STZ_REQUIRE_GPU=1 to fail instead)\n");
    return 77;
  }
  return session.run();
}
