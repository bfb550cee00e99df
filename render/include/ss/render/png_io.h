// PNG writing (libpng) for contact sheets and previews.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ss::render {

// Writes an 8-bit RGB image (interleaved, row-major). Written to `path + ".tmp"` and
// renamed, so a PNG that exists is complete. Throws ss::Error naming the file.
void write_png_rgb(const std::string& path, int width, int height, const std::vector<uint8_t>& rgb);
// Reads an 8-bit RGB PNG (for tests).
std::vector<uint8_t> read_png_rgb(const std::string& path, int& width, int& height);

}  // namespace ss::render
