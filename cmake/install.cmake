# `cmake --install`: the server binary, the headers, the static libraries and
# a CMake package, so a C++ program embeds the server with
#
#   find_package(brolostack REQUIRED)
#   target_link_libraries(app PRIVATE brolostack::server)
#
# brolostack::core is the sans-I/O core alone (protocol, rooms, ARGS).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(brolostack_common PROPERTIES EXPORT_NAME core)
set_target_properties(brolostack_http PROPERTIES EXPORT_NAME http)
set_target_properties(brolostack_redis PROPERTIES EXPORT_NAME redis)
set_target_properties(brolostack_server PROPERTIES EXPORT_NAME server)
add_library(brolostack::core ALIAS brolostack_common)
add_library(brolostack::server ALIAS brolostack_server)

install(TARGETS brolostack-server RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS brolostack_common brolostack_http brolostack_redis brolostack_server EXPORT brolostackTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT development)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/common/include/ ${PROJECT_SOURCE_DIR}/native-server/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development)

set(BROLOSTACK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/brolostack)
install(EXPORT brolostackTargets NAMESPACE brolostack:: DESTINATION ${BROLOSTACK_CMAKE_DIR} COMPONENT development)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/brolostackConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/brolostackConfig.cmake INSTALL_DESTINATION ${BROLOSTACK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/brolostackConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/brolostackConfig.cmake ${PROJECT_BINARY_DIR}/brolostackConfigVersion.cmake
        DESTINATION ${BROLOSTACK_CMAKE_DIR} COMPONENT development)

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
