# Third-party dependencies. System packages come from scripts/setup.sh (Debian 12);
# the portable build takes FFmpeg from the prefix scripts/build-ffmpeg-portable.sh builds
# (shared libraries: see Note [Portable FFmpeg] there). A prefix holding only static
# archives also works: then the full --static link line is used.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(_cuframe_ffmpeg_static OFF)
if(CUFRAME_FFMPEG_PREFIX)
  if(NOT EXISTS ${CUFRAME_FFMPEG_PREFIX}/lib/pkgconfig/libavcodec.pc)
    message(FATAL_ERROR "CUFRAME_FFMPEG_PREFIX=${CUFRAME_FFMPEG_PREFIX} holds no FFmpeg: run scripts/build-ffmpeg-portable.sh")
  endif()
  set(ENV{PKG_CONFIG_PATH} "${CUFRAME_FFMPEG_PREFIX}/lib/pkgconfig")
  if(NOT EXISTS ${CUFRAME_FFMPEG_PREFIX}/lib/libavcodec.so)
    set(_cuframe_ffmpeg_static ON)
  endif()
endif()
pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET GLOBAL
  libavformat>=59 libavcodec>=59 libavutil>=57 libswscale>=6)
add_library(cuframe_ffmpeg INTERFACE)
if(_cuframe_ffmpeg_static)
  # pkg_check_modules' imported target carries only the public libraries; a static FFmpeg
  # needs the full --static link line, in order.
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --static --libs libavformat libavcodec libswscale libavutil
                  OUTPUT_VARIABLE _ff_static_libs OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(_ff_static_libs UNIX_COMMAND "${_ff_static_libs}")
  target_include_directories(cuframe_ffmpeg SYSTEM INTERFACE ${CUFRAME_FFMPEG_PREFIX}/include)
  target_link_libraries(cuframe_ffmpeg INTERFACE ${_ff_static_libs})
else()
  target_link_libraries(cuframe_ffmpeg INTERFACE PkgConfig::FFMPEG)
endif()

# NVIDIA Video Codec SDK headers (ffnvcodec): header-only, the driver libraries are dlopen'ed.
find_path(FFNVCODEC_INCLUDE_DIR ffnvcodec/dynlink_loader.h
  HINTS ${CUFRAME_FFMPEG_PREFIX}/include /usr/include REQUIRED)

find_package(nlohmann_json 3.10 REQUIRED)
# Google Highway (Debian's libhwy-dev, 1.0.3: a shared library only): the CPU executor's
# SIMD row loops with run-time dispatch (Note [CPU rows in Highway]).
find_package(hwy 1.0 REQUIRED)
find_package(CLI11 REQUIRED)

if(CUFRAME_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(CUFRAME_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# OpenCV imgproc (optional): the oracle for resize/blur tests and the CPU baseline in the
# benchmarks. Debian ships no CMake or pkg-config file for it, so it is found by hand.
# Not used by the portable build (the bundle does not carry it).
find_path(CUFRAME_OPENCV_INCLUDE opencv2/imgproc.hpp PATH_SUFFIXES opencv4)
find_library(CUFRAME_OPENCV_IMGPROC opencv_imgproc)
find_library(CUFRAME_OPENCV_CORE opencv_core)
if(CUFRAME_OPENCV_INCLUDE AND CUFRAME_OPENCV_IMGPROC AND CUFRAME_OPENCV_CORE AND NOT CUFRAME_PORTABLE)
  add_library(cuframe_opencv INTERFACE)
  target_include_directories(cuframe_opencv SYSTEM INTERFACE ${CUFRAME_OPENCV_INCLUDE})
  target_link_libraries(cuframe_opencv INTERFACE ${CUFRAME_OPENCV_IMGPROC} ${CUFRAME_OPENCV_CORE})
else()
  message(STATUS "OpenCV imgproc not found: the OpenCV comparisons are left out")
endif()
