// driver/main.cpp - the flowc executable.
#include "driver/driver.h"

#include <cstdlib>  // before the test of __GLIBC__, which <features.h> defines
#if defined(__GLIBC__)
#include <malloc.h>
#endif

int main(int argc, char** argv) {
#if defined(__GLIBC__)
    // The ANTLR parse tree of a file is hundreds of thousands of small blocks, freed
    // together when the file is done. With glibc's fastbins, every large allocation
    // after that consolidates them one by one (malloc_consolidate was the top function
    // of the profile). Without fastbins, small blocks still go through the tcache
    // (bench/compile at 1x: about 10% less CPU time).
    mallopt(M_MXFAST, 0);
#endif
    return flow::driver::run(argc, argv);
}
