// Structural comparison of two NVDEC traces (trace_compare.hpp).
#include "trace_compare.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace cuframe::trace {
namespace {

using nlohmann::json;

// The calls of the NVDEC protocol; anything else in a trace is a note of the model's.
const std::vector<std::string> kCalls = {"create", "sequence",    "decode", "display",      "display_null",
                                         "map",    "unmap",       "reconfigure", "end_of_stream", "error"};

struct Event {
  std::string call;
  json j;
};

struct Trace {
  std::vector<Event> calls;
  std::map<std::string, int> notes;  // the model's own records, by kind
};

Trace parse(const std::vector<std::string>& lines, const char* side) {
  Trace t;
  for (size_t n = 0; n < lines.size(); ++n) {
    if (lines[n].find_first_not_of(" \t\r") == std::string::npos) continue;
    json j;
    try {
      j = json::parse(lines[n]);
    } catch (const json::exception& e) {
      throw std::runtime_error(std::string(side) + " line " + std::to_string(n + 1) + ": " + e.what());
    }
    if (!j.is_object() || !j.contains("call") || !j["call"].is_string())
      throw std::runtime_error(std::string(side) + " line " + std::to_string(n + 1) + ": no \"call\"");
    const std::string call = j["call"].get<std::string>();
    if (std::find(kCalls.begin(), kCalls.end(), call) == kCalls.end()) {
      ++t.notes[call];
      continue;
    }
    t.calls.push_back({call, std::move(j)});
  }
  return t;
}

std::string describe(const Event& e) {
  std::string s = e.call + "(";
  bool first = true;
  for (const auto& [k, v] : e.j.items()) {
    if (k == "call") continue;
    s += (first ? "" : ", ") + k + " " + v.dump();
    first = false;
  }
  return s + ")";
}

std::vector<const Event*> of_kind(const Trace& t, const std::string& call) {
  std::vector<const Event*> v;
  for (const Event& e : t.calls)
    if (e.call == call) v.push_back(&e);
  return v;
}

std::string window(const std::vector<long long>& v, size_t at) {
  const size_t from = at > 4 ? at - 4 : 0, to = std::min(v.size(), at + 5);
  std::string s = from > 0 ? "... " : "";
  for (size_t i = from; i < to; ++i) {
    if (i == at) s += '[';
    s += std::to_string(v[i]);
    s += i == at ? "] " : " ";
  }
  return s + (to < v.size() ? "..." : "");
}

// Compares two number sequences: the first divergence, with both sides around it.
void compare_sequence(std::vector<Difference>& out, const std::string& what, const std::string& item,
                      const std::vector<long long>& e, const std::vector<long long>& a) {
  const size_t n = std::min(e.size(), a.size());
  for (size_t i = 0; i < n; ++i)
    if (e[i] != a[i]) {
      out.push_back({what, item + " #" + std::to_string(i) + ": " + std::to_string(e[i]) + " expected, " +
                               std::to_string(a[i]) + " actual (expected " + window(e, i) + "; actual " + window(a, i) + ")"});
      return;
    }
  if (e.size() != a.size())
    out.push_back({what, std::to_string(e.size()) + " " + item + "s expected, " + std::to_string(a.size()) +
                             " actual (they agree up to #" + std::to_string(n) + ")"});
}

void compare_fields(std::vector<Difference>& out, const std::string& call, const std::vector<std::string>& fields,
                    const Trace& e, const Trace& a) {
  const auto ev = of_kind(e, call), av = of_kind(a, call);
  for (size_t i = 0; i < std::min(ev.size(), av.size()); ++i)
    for (const std::string& f : fields) {
      const json x = ev[i]->j.value(f, json()), y = av[i]->j.value(f, json());
      if (x == y) continue;
      std::string text = "#";
      text += std::to_string(i);
      text += " " + f + ": " + x.dump() + " expected, " + y.dump() + " actual";
      out.push_back({call, text});
    }
}

long long num(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<long long>() : -1; }

// The display order as decode serials: the serial last decoded into each displayed index.
std::vector<long long> display_serials(const Trace& t) {
  std::map<long long, long long> serial_of;
  std::vector<long long> v;
  for (const Event& e : t.calls) {
    if (e.call == "decode") serial_of[num(e.j, "index")] = num(e.j, "serial");
    if (e.call == "display") {
      auto it = serial_of.find(num(e.j, "index"));
      v.push_back(it == serial_of.end() ? -1 : it->second);
    }
  }
  return v;
}

// Each map maps the picture just displayed, with a pitch that holds the target row.
void check_maps(std::vector<Difference>& out, const Trace& t, const char* side, std::set<long long>& pitches) {
  long long shown = -1, row_bytes = 0, bytes = 1;
  int bad = 0;
  for (const Event& e : t.calls) {
    if (e.call == "sequence") bytes = num(e.j, "depth") > 8 ? 2 : 1;
    if ((e.call == "create" || e.call == "reconfigure") && e.j.contains("target") && e.j["target"].is_array())
      row_bytes = e.j["target"][0].get<long long>() * bytes;
    if (e.call == "display") shown = num(e.j, "index");
    if (e.call != "map") continue;
    const long long pitch = num(e.j, "pitch");
    pitches.insert(pitch);
    if (bad < 3 && num(e.j, "index") != shown) {
      out.push_back({"map", std::string(side) + ": " + describe(e) + " after display of index " + std::to_string(shown)});
      ++bad;
    }
    if (bad < 3 && pitch < row_bytes) {
      out.push_back({"map", std::string(side) + ": " + describe(e) + ": the pitch is less than the " +
                                std::to_string(row_bytes) + "-byte row"});
      ++bad;
    }
  }
}

std::string set_text(const std::set<long long>& s) {
  std::string r = "{";
  for (long long v : s) {
    if (r.size() > 1) r += ',';
    r += std::to_string(v);
  }
  return r + "}";
}

}  // namespace

std::vector<Difference> compare(const std::vector<std::string>& expected_lines,
                                const std::vector<std::string>& actual_lines) {
  const Trace e = parse(expected_lines, "expected"), a = parse(actual_lines, "actual");
  std::vector<Difference> out;

  // The calls: how many of each, then their order.
  for (const std::string& c : kCalls) {
    const size_t x = of_kind(e, c).size(), y = of_kind(a, c).size();
    if (x != y) out.push_back({"calls", c + ": " + std::to_string(x) + " expected, " + std::to_string(y) + " actual"});
  }
  const size_t n = std::min(e.calls.size(), a.calls.size());
  for (size_t i = 0; i < n; ++i)
    if (e.calls[i].call != a.calls[i].call) {
      std::string text = "the order differs from call #" + std::to_string(i) + ":";
      for (size_t k = i > 2 ? i - 2 : 0; k < std::min(n, i + 3); ++k)
        text += "\n      #" + std::to_string(k) + "  expected " + describe(e.calls[k]) + "\n" +
                std::string(9 + std::to_string(k).size(), ' ') + "actual   " + describe(a.calls[k]);
      out.push_back({"calls", text});
      break;
    }

  compare_fields(out, "sequence", {"codec", "coded", "display", "chroma", "depth", "min_surfaces", "returned"}, e, a);
  compare_fields(out, "create", {"coded", "target", "surfaces"}, e, a);
  compare_fields(out, "reconfigure", {"coded", "target"}, e, a);

  auto field = [](const Trace& t, const char* call, const char* key) {
    std::vector<long long> v;
    for (const Event* ev : of_kind(t, call)) v.push_back(num(ev->j, key));
    return v;
  };
  compare_sequence(out, "decode order", "CurrPicIdx of decode", field(e, "decode", "index"), field(a, "decode", "index"));
  compare_sequence(out, "display order", "decode serial of display", display_serials(e), display_serials(a));
  compare_sequence(out, "timestamps", "timestamp of display", field(e, "display", "timestamp"),
                   field(a, "display", "timestamp"));

  std::set<long long> ep, ap;
  check_maps(out, e, "expected", ep);
  check_maps(out, a, "actual", ap);
  if (ep != ap) out.push_back({"pitch", set_text(ep) + " expected, " + set_text(ap) + " actual", true});

  for (const Trace* t : {&e, &a})
    for (const Event* ev : of_kind(*t, "error"))
      out.push_back({"error", std::string(t == &e ? "expected: " : "actual: ") + describe(*ev)});
  for (const auto& [kind, count] : e.notes)
    out.push_back({"notes", "expected has " + std::to_string(count) + " \"" + kind + "\" record(s)", true});
  for (const auto& [kind, count] : a.notes)
    out.push_back({"notes", "actual has " + std::to_string(count) + " \"" + kind + "\" record(s)", true});
  return out;
}

int compare_files(const std::string& expected, const std::string& actual) {
  auto read = [](const std::string& path, std::vector<std::string>& lines) {
    std::ifstream f(path);
    if (!f) return false;
    for (std::string l; std::getline(f, l);) lines.push_back(l);
    return true;
  };
  std::vector<std::string> el, al;
  if (!read(expected, el) || !read(actual, al)) {
    std::printf("trace: cannot read %s\n", el.empty() && !std::ifstream(expected) ? expected.c_str() : actual.c_str());
    return 2;
  }
  std::vector<Difference> diffs;
  try {
    diffs = compare(el, al);
  } catch (const std::exception& ex) {
    std::printf("trace: %s\n", ex.what());
    return 2;
  }
  std::printf("trace: expected %s\ntrace: actual   %s\n", expected.c_str(), actual.c_str());
  int counted = 0, info = 0;
  for (const Difference& d : diffs) {
    std::printf("trace: %s %s: %s\n", d.info ? "info" : "DIFF", d.what.c_str(), d.text.c_str());
    (d.info ? info : counted)++;
  }
  std::printf("trace: %d difference%s (%d informational)\n", counted, counted == 1 ? "" : "s", info);
  return counted ? 1 : 0;
}

}  // namespace cuframe::trace
