# What `cmake --install` puts in place and how `cpack -G DEB` packages it
# (docs/packaging.md): component "tool" is iobench_*.deb, component "dkms"
# the kernel module's sources as iobench-dkms_*.deb.
include(GNUInstallDirs)

# Generated from the CLI at build time, so they never drift from it.
set(man ${CMAKE_BINARY_DIR}/iobench.1)
set(completion ${CMAKE_BINARY_DIR}/iobench.bash-completion)
add_custom_command(OUTPUT ${man}.gz ${completion}
                   COMMAND iobench man > ${man}
                   COMMAND gzip -9nf ${man}
                   COMMAND iobench completion bash > ${completion}
                   DEPENDS iobench
                   COMMENT "Generating the man page and the bash completion")
add_custom_target(iobench_generated ALL DEPENDS ${man}.gz ${completion})

set(commit unknown)
set(commit_date "Thu, 01 Jan 1970 00:00:00 +0000")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/.git)
  execute_process(COMMAND ${GIT_EXECUTABLE} log -1 --format=%h%n%aD WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                  OUTPUT_VARIABLE git_out OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(git_out)
    string(REPLACE "\n" ";" git_out "${git_out}")
    list(GET git_out 0 commit)
    list(GET git_out 1 commit_date)
  endif()
endif()
set(IOBENCH_COMMIT ${commit})
set(IOBENCH_COMMIT_DATE ${commit_date})
string(REGEX MATCH "[0-9][0-9][0-9][0-9]" IOBENCH_COMMIT_YEAR "${commit_date}")
set(IOBENCH_MAINTAINER_EMAIL "maintainers@iobench.invalid" CACHE STRING "the Maintainer of the .deb packages")
set(pkg ${CMAKE_BINARY_DIR}/packaging)
configure_file(packaging/changelog.in ${pkg}/changelog @ONLY)
configure_file(packaging/copyright.in ${pkg}/copyright @ONLY)
configure_file(packaging/dkms.conf.in ${pkg}/dkms.conf @ONLY)
configure_file(packaging/dkms-postinst.in ${pkg}/dkms/postinst @ONLY)
configure_file(packaging/dkms-prerm.in ${pkg}/dkms/prerm @ONLY)
add_custom_command(OUTPUT ${pkg}/changelog.gz COMMAND gzip -9nkf ${pkg}/changelog DEPENDS ${pkg}/changelog)
add_custom_target(iobench_changelog ALL DEPENDS ${pkg}/changelog.gz)

# The tool.
install(TARGETS iobench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tool)
install(DIRECTORY workloads/ DESTINATION ${CMAKE_INSTALL_DATADIR}/iobench/workloads COMPONENT tool)
install(FILES docs/result.schema.json DESTINATION ${CMAKE_INSTALL_DATADIR}/iobench COMPONENT tool)
file(GLOB plot_scripts ${CMAKE_SOURCE_DIR}/plots/*.py)
list(REMOVE_ITEM plot_scripts ${CMAKE_SOURCE_DIR}/plots/iobench_results.py)
install(PROGRAMS ${plot_scripts} DESTINATION ${CMAKE_INSTALL_DATADIR}/iobench/plots COMPONENT tool)
install(FILES plots/iobench_results.py DESTINATION ${CMAKE_INSTALL_DATADIR}/iobench/plots COMPONENT tool)
file(GLOB doc_pages ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES README.md ${doc_pages} ${pkg}/copyright ${pkg}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/iobench COMPONENT tool)
install(FILES ${man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT tool)
install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME iobench
        COMPONENT tool)

# The module's sources, where DKMS looks for them.
install(FILES module/iobench.c module/Kbuild module/Makefile ${pkg}/dkms.conf
        DESTINATION src/iobench-${PROJECT_VERSION} COMPONENT dkms)
install(FILES ${pkg}/copyright ${pkg}/changelog.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/iobench-dkms COMPONENT dkms)

set(CPACK_PACKAGE_NAME iobench)
set(CPACK_PACKAGE_VENDOR "the iobench maintainers")
set(CPACK_PACKAGE_CONTACT "iobench maintainers <${IOBENCH_MAINTAINER_EMAIL}>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL tool dkms)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://iobench.invalid/")
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME iobench)
set(CPACK_DEBIAN_TOOL_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_TOOL_PACKAGE_RECOMMENDS "python3, python3-matplotlib")
set(CPACK_DEBIAN_TOOL_PACKAGE_SUGGESTS "iobench-dkms, fio")
set(CPACK_COMPONENT_TOOL_DESCRIPTION "identical I/O workloads across the Linux I/O models
iobench runs one workload through blocking I/O, poll, SIGIO, glibc POSIX
aio, libaio and io_uring against a file, an emulated device or its test
kernel module, and reports per model IOPS, latency percentiles, the
notification delay, CPU time and system calls per request, as a table and
JSON. It compares results with a significance test, keeps a history that
finds where a series changed, and runs under mpirun across hosts.")
set(CPACK_DEBIAN_DKMS_PACKAGE_NAME iobench-dkms)
set(CPACK_DEBIAN_DKMS_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_DKMS_PACKAGE_DEPENDS "dkms")
set(CPACK_DEBIAN_DKMS_PACKAGE_RECOMMENDS "linux-headers-amd64 | linux-headers-generic")
set(CPACK_DEBIAN_DKMS_PACKAGE_SECTION kernel)
set(CPACK_DEBIAN_DKMS_PACKAGE_CONTROL_EXTRA "${pkg}/dkms/postinst;${pkg}/dkms/prerm")
set(CPACK_DEBIAN_DKMS_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_DKMS_DESCRIPTION "iobench's test device driver, as DKMS sources
The iobench kernel module (/dev/iobench) models a device with a known
service time, so that iobench can measure each Linux I/O model's
notification delay against a real driver. DKMS builds it for each
installed kernel that has its headers.")
include(CPack)
