#include "ss/io/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ss/kernels/error.h"

namespace ss::io {

void write_atomically(const std::string& path,
                      const std::function<void(const std::string&)>& write) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    SS_FAIL(path, ": cannot move the finished file into place: ", std::strerror(e));
  }
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  write_atomically(path, [&](const std::string& tmp) {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    SS_CHECK(f, path, ": cannot open for writing: ", std::strerror(errno));
    const size_t n = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
    const int e1 = errno;
    const bool flushed = std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const int e2 = errno;
    const bool closed = std::fclose(f) == 0;
    SS_CHECK(n == bytes.size(), path, ": write failed after ", n, " of ", bytes.size(),
             " bytes: ", std::strerror(e1));
    SS_CHECK(flushed && closed, path, ": write failed: ", std::strerror(e2));
  });
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  SS_CHECK(in, path, ": cannot open: ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ss::io
