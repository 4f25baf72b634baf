# `cpack -G DEB` in the build folder: the brolostack-server package, holding
# the binary, its systemd unit and its settings file (a conffile). Headers
# and libraries stay out of it: they are the `development` component of
# `cmake --install`.
# The unit and the settings file belong to the package only: a plain
# `cmake --install --prefix …` leaves /etc and systemd alone.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/brolostack-server.service
        DESTINATION lib/systemd/system COMPONENT runtime EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/brolostack-server.env
        DESTINATION /etc/brolostack COMPONENT runtime EXCLUDE_FROM_ALL)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "/etc/brolostack/brolostack-server.env\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME brolostack-server)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Brolostack")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Real-time rooms and multi-agent ARGS sessions over WebSocket")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME brolostack-server)
set(CPACK_DEBIAN_RUNTIME_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "Brolostack maintainers <maintainers@brolostack.invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/conffiles)
include(CPack)
