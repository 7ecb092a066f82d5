// The reason behind the latest HDF5 failure, for messages a user can act on.
#pragma once

#include <string>

namespace missionsim {

// The innermost message on HDF5's error stack of this thread, then clears
// the stack. A failed system call (HDF5: "file write failed: time = ...,
// errno = 28, error message = 'No space left on device', buf = ...") is
// shortened to "file write failed: No space left on device (errno 28)".
// Empty when the stack holds nothing.
std::string hdf5_error_detail();

}  // namespace missionsim
