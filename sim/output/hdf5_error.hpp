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

// HDF5 1.10's exit handler crashes (SIGSEGV in H5F__close_cb) after a file
// failed to close, as on a full disk. Call this when H5Fclose fails: the
// library is then not shut down at exit (sim/output replaces HDF5's own exit
// handler with one that shuts it down only when no close failed).
void hdf5_close_failed();

}  // namespace missionsim
