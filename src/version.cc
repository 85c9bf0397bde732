// The library's version string, from the CMake project version.
#include "shrink/version.h"

namespace shrink {

const char* Version() { return SHRINK_VERSION_STRING; }

}  // namespace shrink
