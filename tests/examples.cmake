# The C examples, built against an installed copy through pkg-config and
# through find_package(benchy), then run.
if(NOT BENCHY_SANITIZE)
  add_test(NAME examples.c_link COMMAND ${PROJECT_SOURCE_DIR}/scripts/test-examples.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(examples.c_link PROPERTIES TIMEOUT 300 LABELS "examples")
endif()
