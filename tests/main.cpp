// Catch2's main for volt_tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
