// The bridge between the generated per-scenario TEST_CASEs
// (gen_cases.py) and the runner, kept light so the generated file compiles
// in a moment.
#pragma once

#include <string>
#include <vector>

namespace boshd::conformance {

// Loads scenario |id| from xep/scenarios/|file|, runs it, and fails the
// current doctest test case with the runner's report if it does not pass.
void check_scenario(const char* file, const char* id);

// The scenario ids the generated file registered, in file order.
const std::vector<std::string>& generated_ids();

} // namespace boshd::conformance
