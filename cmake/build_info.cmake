# Run at every build (not at configure time): writes build_info.cpp with the
# commit the sources are at now, touching the file only when that changed, so
# a commit without a re-configure still records the right SHA and nothing
# else is rebuilt.
set(sha "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE sha
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                  WORKING_DIRECTORY ${SOURCE_DIR} OUTPUT_VARIABLE dirty ERROR_QUIET)
  if(NOT sha)
    set(sha "unknown")
  elseif(dirty)
    string(APPEND sha "-dirty")
  endif()
endif()
configure_file(${SOURCE_DIR}/src/core/build_info.cpp.in ${OUTPUT}.tmp @ONLY)
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
