// Which Highway target the CPU executor's row loops run on (Note [CPU rows in Highway]),
// and the tests' hook to run them on each target in turn.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "cpu_simd.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace cuframe::kernels::detail {
namespace HWY_NAMESPACE {

std::int64_t CompiledTarget() { return HWY_TARGET; }

}  // namespace HWY_NAMESPACE
}  // namespace cuframe::kernels::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <mutex>

#include "cpu_rows.hpp"
#include "cpu_simd_testing.hpp"
#include "cuframe/kernels/cpu.hpp"

namespace cuframe::kernels {

namespace detail {

HWY_EXPORT(CompiledTarget);

const char* simd_target_name() noexcept { return hwy::TargetName(HWY_DYNAMIC_DISPATCH(CompiledTarget)()); }

std::vector<std::string> for_each_simd_target(const std::function<void(const std::string&)>& body) {
  static std::mutex one_at_a_time;  // the choice is process-wide
  std::lock_guard<std::mutex> hold(one_at_a_time);
  std::vector<std::string> names;
  for (const std::int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    names.emplace_back(simd_target_name());
    try {
      body(names.back());
    } catch (...) {
      hwy::SetSupportedTargetsForTest(0);
      throw;
    }
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the best target of this CPU
  return names;
}

}  // namespace detail

const char* cpu_simd_target() noexcept { return detail::simd_target_name(); }

}  // namespace cuframe::kernels
#endif
