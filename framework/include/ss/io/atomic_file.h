// Write-to-temp-then-rename, so a crash or full disk never leaves a half-written file
// under the final name.
#pragma once
#include <functional>
#include <string>

namespace ss::io {
// `write` receives the temporary path and must produce the complete file there. On any
// failure the temporary file is removed and an ss::Error naming `path` is thrown.
void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write);
// Convenience: atomically write bytes.
void write_file_atomically(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
}  // namespace ss::io
