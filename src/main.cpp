// iobench: identical workloads across the Linux I/O models.
#include "app/entry.h"

int main(int argc, char** argv) { return iobench::entry(argc, argv); }
