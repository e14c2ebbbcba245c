# Shared build settings and helpers for eyni modules, tests and fuzz targets.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

add_compile_definitions(_GNU_SOURCE)
set(EYNI_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wno-format-nonliteral -Wundef -Wpointer-arith -Wno-unused-parameter)
# snprintf truncation is deliberate wherever messages are cut to fit.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  list(APPEND EYNI_WARNINGS -Wno-format-truncation)
endif()

if(EYNI_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(EYNI_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "EYNI_FUZZ needs clang (CC=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# pkg-config dependency as an imported target: eyni_pkg(jansson jansson) -> PkgConfig::jansson
macro(eyni_pkg name module)
  if(NOT TARGET PkgConfig::${name})
    pkg_check_modules(${name} REQUIRED IMPORTED_TARGET GLOBAL ${module})
  endif()
endmacro()

# ONNX Runtime, fetched by scripts/fetch-artifacts.sh.
if(NOT TARGET eyni_onnxruntime)
  find_library(ONNXRUNTIME_LIB NAMES onnxruntime PATHS "${ONNXRUNTIME_DIR}/lib" NO_DEFAULT_PATH)
  if(ONNXRUNTIME_LIB AND EXISTS "${ONNXRUNTIME_DIR}/include/onnxruntime_c_api.h")
    add_library(eyni_onnxruntime INTERFACE)
    target_include_directories(eyni_onnxruntime SYSTEM INTERFACE "${ONNXRUNTIME_DIR}/include")
    target_link_libraries(eyni_onnxruntime INTERFACE "${ONNXRUNTIME_LIB}")
    target_link_options(eyni_onnxruntime INTERFACE "-Wl,-rpath,${ONNXRUNTIME_DIR}/lib")
  endif()
endif()

# eyni_add_module(NAME DEPS dep...) builds src/NAME/*.c into the static library eyni_NAME.
function(eyni_add_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/src/${name}/*.c")
  add_library(eyni_${name} STATIC ${srcs})
  target_include_directories(eyni_${name} PUBLIC "${CMAKE_SOURCE_DIR}/include"
                                          PRIVATE "${CMAKE_SOURCE_DIR}/src/${name}")
  target_compile_options(eyni_${name} PRIVATE ${EYNI_WARNINGS})
  target_link_libraries(eyni_${name} PUBLIC ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY EYNI_LIBS eyni_${name})
endfunction()

# eyni_add_test(MODULE TOPIC DEPS dep...) builds tests/MODULE/test_TOPIC.c with cmocka.
function(eyni_add_test module topic)
  cmake_parse_arguments(T "PG;PG_ONLY" "TIMEOUT" "DEPS" ${ARGN})
  set(exe test_${module}_${topic})
  add_executable(${exe} "${CMAKE_SOURCE_DIR}/tests/${module}/test_${topic}.c")
  target_include_directories(${exe} PRIVATE "${CMAKE_SOURCE_DIR}/tests")
  target_compile_options(${exe} PRIVATE ${EYNI_WARNINGS})
  target_link_libraries(${exe} PRIVATE eyni_testutil ${T_DEPS})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  # ONNX Runtime keeps a few bytes until exit that LeakSanitizer would report in every
  # program that loads it; the suppression names only that library.
  # PG_ONLY: a test that needs several processes on one shared database runs on PostgreSQL only.
  if(NOT T_PG_ONLY)
  add_test(NAME ${module}/${topic} COMMAND ${exe})
  set_tests_properties(${module}/${topic} PROPERTIES LABELS ${module} TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "EYNI_TESTDATA=${EYNI_TESTDATA};EYNI_BUILD_DIR=${CMAKE_BINARY_DIR};EYNI_SOURCE_DIR=${CMAKE_SOURCE_DIR};EYNI_CACHE=${EYNI_CACHE};LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/onnx/lsan-onnxruntime.supp:print_suppressions=0")
  endif()
  # PG: the same program runs a second time against the private PostgreSQL server that
  # the pg_server fixture starts in the build folder.
  if(T_PG OR T_PG_ONLY)
    eyni_pg_fixture()
    add_test(NAME ${module}/${topic}@pg COMMAND ${exe})
    set_tests_properties(${module}/${topic}@pg PROPERTIES LABELS "${module};postgresql"
      TIMEOUT ${T_TIMEOUT} FIXTURES_REQUIRED pg_server
      ENVIRONMENT "EYNI_TEST_STORE=postgresql;EYNI_TEST_PG=${EYNI_PG_URI};EYNI_TESTDATA=${EYNI_TESTDATA};EYNI_BUILD_DIR=${CMAKE_BINARY_DIR};EYNI_SOURCE_DIR=${CMAKE_SOURCE_DIR};EYNI_CACHE=${EYNI_CACHE};LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/onnx/lsan-onnxruntime.supp:print_suppressions=0")
  endif()
endfunction()

# One private PostgreSQL server per build folder, started before the first @pg test and
# stopped after the last (CI starts with none). Its socket lives in /tmp because the
# socket path must stay under 108 bytes whatever the build folder's path.
macro(eyni_pg_fixture)
  get_property(_pg_done GLOBAL PROPERTY EYNI_PG_FIXTURE)
  if(NOT _pg_done)
    set_property(GLOBAL PROPERTY EYNI_PG_FIXTURE ON)
    string(MD5 _pg_hash "${CMAKE_BINARY_DIR}")
    string(SUBSTRING "${_pg_hash}" 0 12 _pg_hash)
    set(EYNI_PG_DIR "/tmp/eyni-pg-${_pg_hash}" CACHE INTERNAL "")
    set(EYNI_PG_URI "postgresql://postgres@/postgres?host=${EYNI_PG_DIR}" CACHE INTERNAL "")
    # fsync off: the tests kill eynid, never the server or the machine.
    add_test(NAME pg/server-start COMMAND ${CMAKE_COMMAND} -E env PG_FSYNC=off
      "${CMAKE_SOURCE_DIR}/scripts/pg-server.sh" fresh "${EYNI_PG_DIR}")
    add_test(NAME pg/server-stop COMMAND "${CMAKE_SOURCE_DIR}/scripts/pg-server.sh" stop "${EYNI_PG_DIR}")
    set_tests_properties(pg/server-start PROPERTIES FIXTURES_SETUP pg_server LABELS postgresql)
    set_tests_properties(pg/server-stop PROPERTIES FIXTURES_CLEANUP pg_server LABELS postgresql)
  endif()
endmacro()

# eyni_add_fuzz(NAME DEPS dep...) builds tests/fuzz/fuzz_NAME.c as a libFuzzer target and
# registers a bounded run over its seed corpus as a test.
function(eyni_add_fuzz name)
  cmake_parse_arguments(F "" "SECONDS" "DEPS" ${ARGN})
  if(NOT EYNI_FUZZ)
    return()
  endif()
  if(NOT F_SECONDS)
    set(F_SECONDS 20)
  endif()
  set(exe fuzz_${name})
  add_executable(${exe} "${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${name}.c")
  target_compile_options(${exe} PRIVATE ${EYNI_WARNINGS})
  target_link_libraries(${exe} PRIVATE ${F_DEPS})
  target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  set(corpus "${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}")
  set(work "${CMAKE_BINARY_DIR}/fuzz-corpus/${name}")
  add_test(NAME fuzz/${name}
    COMMAND ${CMAKE_COMMAND} -E env EYNI_TESTDATA=${EYNI_TESTDATA}
            sh -c "mkdir -p '${work}' && exec $<TARGET_FILE:${exe}> -max_total_time=${F_SECONDS} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 '${work}' '${corpus}'")
  set_tests_properties(fuzz/${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
