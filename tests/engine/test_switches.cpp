// The performance switches' table (ss/kernels/switches.h): how a variable's value reads,
// and that the GPU check tries exactly the switches that are off by default (a new switch
// without a trial, or an adopted one still on trial, fails here).
#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "env_scope.h"
#include "ss/kernels/switches.h"
#include "ss/platform.h"

using namespace ss;

TEST_CASE("performance switches: unset is the default, the on-value is on, anything else off") {
  std::set<std::string> names;
  for (const PerfSwitch& s : perf_switches()) {
    CAPTURE(s.name);
    CHECK(std::string(s.name).rfind("SS_", 0) == 0);
    CHECK(names.insert(s.name).second);  // each once
    {
      test::EnvScope unset(s.name, "");
      CHECK(perf_switch(s.name) == s.default_on);
    }
    {
      test::EnvScope on(s.name, s.on);
      CHECK(perf_switch(s.name));
      CHECK(perf_switches_on().find(std::string(s.name) + "=" + s.on) != std::string::npos);
    }
    {
      test::EnvScope off(s.name, "0");
      CHECK_FALSE(perf_switch(s.name));
      CHECK(perf_switches_on().find(std::string(s.name) + "=") == std::string::npos);
    }
  }
  CHECK_THROWS_AS(perf_switch("SS_NO_SUCH_SWITCH"), Error);
}

TEST_CASE("performance switches: the GPU check's trials are the switches off by default") {
  std::ifstream f(source_dir() + "/benchmarks/gpu_check.sh");  // the GPU bundle runs elsewhere
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  // TRIALS=(SS_ALLOC=heap SS_BN_APPLY=rows ...), possibly over several lines
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex(R"(TRIALS=\(([^)]*)\))")));
  std::set<std::string> trials;
  const std::string body = m[1];
  const std::regex setting(R"((SS_[A-Z0-9_]+)=(\S+))");
  for (std::sregex_iterator it(body.begin(), body.end(), setting), end; it != end; ++it) {
    if ((*it)[1] == "SS_ALLOC") continue;  // the allocator's own setting
    const PerfSwitch& s = perf_switch_entry((*it)[1].str().c_str());
    CAPTURE(s.name);
    CHECK((*it)[2].str() == s.on);  // tried with the value that turns it on
    trials.insert(s.name);
  }
  for (const PerfSwitch& s : perf_switches()) {
    CAPTURE(s.name);
    CHECK(trials.count(s.name) == (s.default_on ? 0u : 1u));
  }
}
