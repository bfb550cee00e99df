# ctest splits a test name at ';' (CMake's list separator), and neither half then matches
# the doctest case, which silently runs zero cases and passes: fail on any such name.
#   cmake -DSRC=<repository root> -P tests/check_test_names.cmake
file(GLOB_RECURSE sources "${SRC}/tests/*.cpp")
set(bad "")
foreach(f IN LISTS sources)
  file(STRINGS "${f}" hits REGEX "TEST_CASE\\(\"[^\"]*;")
  if(hits)
    file(RELATIVE_PATH rel "${SRC}" "${f}")
    string(APPEND bad " ${rel}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "TEST_CASE names with ';' (split by ctest, so never run) in:${bad}")
endif()
