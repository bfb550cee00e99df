// Small 3-D vector / 3x3 matrix helpers for the renderer (float, header-only).
#pragma once
#include <cmath>

namespace ss::render {

struct V3 {
  float x = 0, y = 0, z = 0;
};
inline V3 operator+(V3 a, V3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
inline V3 operator-(V3 a, V3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
inline V3 operator-(V3 a) { return {-a.x, -a.y, -a.z}; }
inline V3 operator*(V3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
inline V3 operator*(float s, V3 a) { return a * s; }
inline V3 mul(V3 a, V3 b) { return {a.x * b.x, a.y * b.y, a.z * b.z}; }
inline float dot(V3 a, V3 b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline V3 cross(V3 a, V3 b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline float length(V3 a) { return std::sqrt(dot(a, a)); }
inline V3 normalize(V3 a) {
  float l = length(a);
  return l > 0 ? a * (1.0f / l) : V3{0, 0, 1};
}
inline V3 lerp(V3 a, V3 b, float t) { return a + (b - a) * t; }

// Row-major 3x3 matrix.
struct M3 {
  float m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
};
inline V3 operator*(const M3& a, V3 v) {
  return {a.m[0][0] * v.x + a.m[0][1] * v.y + a.m[0][2] * v.z,
          a.m[1][0] * v.x + a.m[1][1] * v.y + a.m[1][2] * v.z,
          a.m[2][0] * v.x + a.m[2][1] * v.y + a.m[2][2] * v.z};
}
inline M3 operator*(const M3& a, const M3& b) {
  M3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j];
  return r;
}
inline M3 transpose(const M3& a) {
  M3 r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r.m[i][j] = a.m[j][i];
  return r;
}
inline M3 diag(V3 d) {
  M3 r;
  r.m[0][0] = d.x;
  r.m[1][1] = d.y;
  r.m[2][2] = d.z;
  return r;
}
inline M3 rot_x(float a) {
  float c = std::cos(a), s = std::sin(a);
  M3 r;
  r.m[1][1] = c; r.m[1][2] = -s;
  r.m[2][1] = s; r.m[2][2] = c;
  return r;
}
inline M3 rot_y(float a) {
  float c = std::cos(a), s = std::sin(a);
  M3 r;
  r.m[0][0] = c; r.m[0][2] = s;
  r.m[2][0] = -s; r.m[2][2] = c;
  return r;
}
inline M3 rot_z(float a) {
  float c = std::cos(a), s = std::sin(a);
  M3 r;
  r.m[0][0] = c; r.m[0][1] = -s;
  r.m[1][0] = s; r.m[1][1] = c;
  return r;
}
// Columns: the images of the x, y, z axes.
inline M3 from_columns(V3 a, V3 b, V3 c) {
  M3 r;
  r.m[0][0] = a.x; r.m[1][0] = a.y; r.m[2][0] = a.z;
  r.m[0][1] = b.x; r.m[1][1] = b.y; r.m[2][1] = b.z;
  r.m[0][2] = c.x; r.m[1][2] = c.y; r.m[2][2] = c.z;
  return r;
}
// A rotation taking +y to the unit vector `axis` (any twist).
inline M3 frame_y_to(V3 axis) {
  V3 y = normalize(axis);
  V3 t = std::fabs(y.x) < 0.9f ? V3{1, 0, 0} : V3{0, 0, 1};
  V3 z = normalize(cross(t, y));
  V3 x = cross(y, z);
  return from_columns(x, y, z);
}
// Rotation angle of a rotation matrix, in radians.
inline double rotation_angle(const double r[9]) {
  double c = 0.5 * (r[0] + r[4] + r[8] - 1.0);
  c = c > 1 ? 1 : (c < -1 ? -1 : c);
  return std::acos(c);
}

}  // namespace ss::render
