#pragma once
/** @file
 * @brief A 64-bit running digest (FNV-1a over 64-bit words) of everything a checkpoint holds.
 *
 * Not cryptographic: it guards against corruption (a flipped bit on disk or in transit), not
 * against forgery. Each step is h = (h xor w) * p with an odd p, a bijection of h for a fixed
 * w, so changing any single word of the input always changes the digest; two or more changes
 * collide with probability about 2^-64. Word-wise, it hashes several GB/s.
 */
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace stz::io {

class Digest {
 public:
  /// Bytes, then their count (so that adjacent items cannot trade bytes unnoticed).
  void add_bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      mix(w);
    }
    for (; i < size; ++i) mix(p[i]);
    mix(static_cast<std::uint64_t>(size));
  }
  void add(double v) { add_bytes(&v, sizeof v); }
  void add(std::uint64_t v) { add_bytes(&v, sizeof v); }
  void add(std::int64_t v) { add_bytes(&v, sizeof v); }
  void add(int v) { add(static_cast<std::int64_t>(v)); }
  void add(bool v) { add(static_cast<std::uint64_t>(v)); }
  void add(const std::string& s) { add_bytes(s.data(), s.size()); }
  template <class T>
  void add(const std::vector<T>& v) {
    add_bytes(v.data(), v.size() * sizeof(T));
  }
  std::uint64_t value() const { return h_; }

 private:
  void mix(std::uint64_t w) { h_ = (h_ ^ w) * 0x100000001b3ULL; }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace stz::io
