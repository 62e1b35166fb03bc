# Runs at install time (install(SCRIPT), after packaging/CMakeLists.txt set its inputs): installs the two files whose
# content or place depends on the prefix of this install (`cmake --install --prefix P`, or CPack's /usr) rather than
# the one configured:
#   - the systemd unit, its ExecStart naming PREFIX/BINDIR/tomolived (packaging/tomolive.service names /usr/bin);
#   - the example configuration, in /etc/tomolive for the prefixes /usr and / (where tomolived looks by default),
#     else in PREFIX/etc/tomolive (GNUInstallDirs' rule for sysconfdir).
# Inputs: tomolive_unit (source), tomolive_unit_dir (relative to the prefix, or absolute), tomolive_bindir (relative),
# tomolive_staging (a folder of the build tree), tomolive_config (source; empty when there is none).
file(READ "${tomolive_unit}" unit)
string(REPLACE "/usr/bin/tomolived" "${CMAKE_INSTALL_PREFIX}/${tomolive_bindir}/tomolived" unit "${unit}")
file(WRITE "${tomolive_staging}/tomolive.service" "${unit}")
if(IS_ABSOLUTE "${tomolive_unit_dir}")
  set(unit_destination "${tomolive_unit_dir}")
else()
  set(unit_destination "${CMAKE_INSTALL_PREFIX}/${tomolive_unit_dir}")
endif()
file(INSTALL "${tomolive_staging}/tomolive.service" DESTINATION "${unit_destination}")

if(tomolive_config)
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr" OR CMAKE_INSTALL_PREFIX STREQUAL "/")
    set(config_destination /etc/tomolive)
  else()
    set(config_destination "${CMAKE_INSTALL_PREFIX}/etc/tomolive")
  endif()
  file(INSTALL "${tomolive_config}" DESTINATION "${config_destination}")
endif()
