// The doctest runner shared by every test executable (doctest from the system, Debian doctest-dev).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
