// driver/main.cpp - the flowc executable.
#include "driver/driver.h"

int main(int argc, char** argv) { return flow::driver::run(argc, argv); }
