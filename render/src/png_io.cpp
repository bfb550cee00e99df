#include "ss/render/png_io.h"

#include <png.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "ss/kernels/error.h"

namespace ss::render {

void write_png_rgb(const std::string& path, int w, int h, const std::vector<uint8_t>& rgb) {
  SS_CHECK(w > 0 && h > 0 && rgb.size() == size_t(w) * h * 3, "PNG ", path, ": bad image size");
  std::string tmp = path + ".tmp";
  FILE* fp = std::fopen(tmp.c_str(), "wb");
  SS_CHECK(fp, "cannot write PNG '", tmp, "': ", std::strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  volatile bool ok = png && info;
  if (ok && setjmp(png_jmpbuf(png))) ok = false;
  if (ok) {
    png_init_io(png, fp);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; ++y) png_write_row(png, const_cast<png_bytep>(rgb.data() + size_t(y) * w * 3));
    png_write_end(png, nullptr);
  }
  png_destroy_write_struct(png ? &png : nullptr, info ? &info : nullptr);
  bool closed = std::fclose(fp) == 0;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    SS_FAIL("writing PNG '", path, "' failed (disk full or unwritable?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  SS_CHECK(!ec, "cannot rename '", tmp, "' to '", path, "': ", ec.message());
}

std::vector<uint8_t> read_png_rgb(const std::string& path, int& w, int& h) {
  FILE* fp = std::fopen(path.c_str(), "rb");
  SS_CHECK(fp, "cannot open PNG '", path, "': ", std::strerror(errno));
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  std::vector<uint8_t> out;
  volatile bool ok = png && info;
  if (ok && setjmp(png_jmpbuf(png))) ok = false;
  if (ok) {
    png_init_io(png, fp);
    png_read_info(png, info);
    w = int(png_get_image_width(png, info));
    h = int(png_get_image_height(png, info));
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_palette_to_rgb(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    out.resize(size_t(w) * h * 3);
    for (int y = 0; y < h; ++y) png_read_row(png, out.data() + size_t(y) * w * 3, nullptr);
  }
  png_destroy_read_struct(png ? &png : nullptr, info ? &info : nullptr, nullptr);
  std::fclose(fp);
  SS_CHECK(ok, "reading PNG '", path, "' failed");
  return out;
}

}  // namespace ss::render
