// Explicit instantiation of CPU kernels for the two reference precisions: float is the
// production type, double is what gradient checks run in.
#pragma once
#define SS_INSTANTIATE_FLOATS(MACRO) \
  MACRO(float)                       \
  MACRO(double)
