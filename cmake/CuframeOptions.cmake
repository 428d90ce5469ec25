# Build options. Every option is prefixed CUFRAME_; flags are set per target, never globally.
option(CUFRAME_BUILD_TESTS "Build the GoogleTest suite" ON)
option(CUFRAME_BUILD_BENCH "Build the Google Benchmark programs" ON)
option(CUFRAME_PORTABLE "Portable build: static FFmpeg from CUFRAME_FFMPEG_PREFIX, static GoogleTest, $ORIGIN rpath" OFF)
set(CUFRAME_FFMPEG_PREFIX "" CACHE PATH "Prefix of a static FFmpeg (scripts/build-ffmpeg-portable.sh); empty: system FFmpeg")
option(CUFRAME_WERROR "Treat compiler warnings as errors" OFF)

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_CUDA_STANDARD 20)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

# Warnings for our own targets only.
function(cuframe_target_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${CUFRAME_WERROR}>>:-Werror>
    $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall --expt-relaxed-constexpr>)
endfunction()

# Sanitizers (e.g. -DCUFRAME_SANITIZE=address,undefined) and libFuzzer targets, for our
# own code; the third-party libraries are Debian's, uninstrumented.
set(CUFRAME_SANITIZE "" CACHE STRING "Comma list of -fsanitize= checks for cuframe's code")
option(CUFRAME_FUZZ "Build the libFuzzer targets (clang, CPU-only configuration)" OFF)
if(CUFRAME_SANITIZE)
  add_compile_options(-fsanitize=${CUFRAME_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CUFRAME_SANITIZE})
endif()
if(CUFRAME_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CUFRAME_FUZZ needs clang (the fuzz preset sets it)")
  endif()
  if(CUFRAME_CUDA)
    message(FATAL_ERROR "CUFRAME_FUZZ builds the CPU-only configuration (CUFRAME_CUDA=OFF)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
