// Contact sheets: an 8 x 8 grid of the first 64 images of a dataset file, converted
// back from normalised LAB to sRGB. Dense (multi-object) sets show each sample as
// image | semantic segmentation (palette) | depth (near = bright).
#pragma once
#include <cstdint>
#include <string>

#include "ss/render/vec.h"

namespace ss::render {

// Reads `h5_path` and writes the sheet to `png_path`; returns png_path.
std::string write_contact_sheet(const std::string& h5_path, const std::string& png_path, int grid = 8);
// Palette colour (sRGB, 0..255) of semantic class k (0 = background, black).
void class_palette(int k, uint8_t rgb[3]);

}  // namespace ss::render
