# Installable, find_package-able library: cuframe::cuframe.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS cuframe cuframe_ffmpeg EXPORT cuframeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT cuframeTargets NAMESPACE cuframe:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuframe)

set(CUFRAME_CONFIG_CUDA ${CUFRAME_CUDA})
set(CUFRAME_CONFIG_FFMPEG_PREFIX ${CUFRAME_FFMPEG_PREFIX})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/cuframeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cuframeConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuframe)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cuframeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cuframeConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/cuframeConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/cuframe)
