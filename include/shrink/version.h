// The library's version.
#ifndef SHRINK_VERSION_H_
#define SHRINK_VERSION_H_

namespace shrink {

// Returns the version of the linked library, "MAJOR.MINOR.PATCH".
const char* Version();

}  // namespace shrink

#endif  // SHRINK_VERSION_H_
