file(GLOB SS_TEST_ENGINE_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/engine/*.cpp)
ss_add_test(test_engine SOURCES ${SS_TEST_ENGINE_SRC} LIBS ss_framework)
target_include_directories(test_engine PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/engine)
